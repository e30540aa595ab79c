import random, sys, time
from bench.pipeline import citizen_script, inbound
from bench.common.database import pilot_app
from bench.common.backends import temporary_postgres, temporary_sqlite
from palabre.bootstrap import prepare
which = sys.argv[1]
cm = temporary_postgres("postgresql://postgres@127.0.0.1:5432/test") if which == "pg" else temporary_sqlite()
with cm as (url, media):
  with pilot_app(url, media) as app:
    prepare(app)
    scripts = {f"c{i}": citizen_script(i, random.Random(i)) for i in range(200)}
    res = {1: [0, 0.0, 0.0], 16: [0, 0.0, 0.0]}
    for rnd in range(13):
        for size in (1, 16):
            group = [a for a in scripts if (int(a[1:]) % 2 == (size == 16))]
            for a in group:
                if rnd < len(scripts[a]):
                    app.pipeline.receive(inbound(a, scripts[a][rnd]))
            app.pipeline.dialogs.batch_size = size
            w0 = time.perf_counter(); c0 = time.process_time()
            n = app.pipeline.dialogs.process_pending(limit=10000)
            res[size][0] += n; res[size][1] += time.perf_counter() - w0; res[size][2] += time.process_time() - c0
    for size, (n, w, c) in res.items():
        print(f"{which} batch {size}: {n} turns, {n/w:.1f}/s, cpu {1000*c/n:.2f} ms/turn, wall {1000*w/n:.2f} ms/turn")
