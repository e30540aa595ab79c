import random, sys, time, tempfile
from pathlib import Path
from bench.pipeline import citizen_script, inbound, messages
from bench.common.database import pilot_app
from bench.common.backends import temporary_postgres, temporary_sqlite
from palabre.bootstrap import prepare
import contextlib
which = sys.argv[1]
cm = temporary_postgres("postgresql://postgres@127.0.0.1:5432/test") if which == "pg" else temporary_sqlite()
with cm as (url, media):
  with pilot_app(url, media) as app:
    prepare(app)
    for said in citizen_script(0, random.Random(0)):
        app.pipeline.receive(inbound("w", said)); app.pipeline.process_pending()
    st=sw=pt=pw=0
    for n,(addr,said) in enumerate(messages(400)):
        w0=time.perf_counter(); c0=time.process_time()
        app.pipeline.receive(inbound(addr, said))
        w1=time.perf_counter(); c1=time.process_time()
        app.pipeline.process_pending()
        w2=time.perf_counter(); c2=time.process_time()
        sw+=w1-w0; st+=c1-c0; pw+=w2-w1; pt+=c2-c1
    print(f"{which}: store wall {sw/4:.2f} ms cpu {st/4:.2f}; step wall {pw/4:.2f} cpu {pt/4:.2f}")
