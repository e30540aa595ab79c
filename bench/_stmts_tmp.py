import random, sys, collections
from sqlalchemy import event
from bench.pipeline import citizen_script, inbound, messages
from bench.common.database import pilot_app

from palabre.bootstrap import prepare
from pathlib import Path
import tempfile
url = sys.argv[1]
with pilot_app(url, Path(tempfile.mkdtemp())) as app:
    prepare(app)
    for said in citizen_script(0, random.Random(0)):
        app.pipeline.receive(inbound("w", said)); app.pipeline.process_pending()
    log=[]
    event.listen(app.engine, "before_cursor_execute", lambda c,cur,s,p,ctx,em: log.append(s))
    for n,(addr,said) in enumerate(messages(40)):
        log.append(f"=== RECEIVE {said}")
        app.pipeline.receive(inbound(addr, said))
        log.append("=== PROCESS")
        app.pipeline.process_pending()
    for l in log[-200:]:
        print(l[:300].replace("\n"," "))
