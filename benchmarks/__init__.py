"""Measurements of resetkit, each a small module with its own command line.

* ``race`` (``make race``): many simultaneous confirms with one token; exactly one may win;
* ``attack`` (``make attack``): every shipped limit burst with simultaneous requests;
* ``timing_oracle`` (``make timing``): can the request endpoint's timing tell accounts apart;
* ``run`` (``make bench``): resetkit beside django-rest-passwordreset 1.6.0: round trips
  (``agent``), throughput (``throughput``), cleanup, memory; ``report`` writes the docs page;
* ``stores`` (``make bench-stores``): the token stores side by side: round trips, throughput,
  Redis memory;
* ``nodes`` (``make bench-nodes``): two app nodes against one, sharing PostgreSQL and Redis.

The plumbing they share lives in ``support`` (databases, Redis keys, the upstream virtualenv,
gunicorn and other processes), ``settings`` (the demo project as the benchmarks serve it),
``site`` (the project the upstream package runs in) and ``server`` (code that runs inside the
servers). Run them as ``python benchmarks/<name>.py`` or ``python -m benchmarks.<name>``.
"""
