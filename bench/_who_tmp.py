import random, sys, traceback, collections
from sqlalchemy import event
from bench.pipeline import citizen_script, inbound, messages
from bench.common.database import pilot_app
from bench.common.backends import temporary_sqlite
from palabre.bootstrap import prepare
with temporary_sqlite() as (url, media):
  with pilot_app(url, media) as app:
    prepare(app)
    for said in citizen_script(0, random.Random(0)):
        app.pipeline.receive(inbound("w", said)); app.pipeline.process_pending()
    counts = collections.Counter(); where = {}
    def f(c, cur, s, p, ctx, em):
        key = s[:60].replace("\n", " ")
        counts[key] += 1
        if key.startswith(sys.argv[1]):
            st = "".join(l for l in traceback.format_stack()[-30:-8] if "/work/main/" in l and ".venv" not in l and "bench/" not in l)
            where[st] = where.get(st, 0) + 1
    event.listen(app.engine, "before_cursor_execute", f)
    n = 0
    for addr, said in messages(300):
        app.pipeline.receive(inbound(addr, said)); app.pipeline.process_pending(); n += 1
    for k, v in counts.most_common(): print(f"{v/n:5.2f} {k}")
    for k, v in where.items(): print(v/n); print(k)
