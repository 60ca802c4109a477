"""Turn ``run.py``'s results into one table, a chart of the ratios and docs/performance.md."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks.support import REPO

CASES = (
    "request existing",
    "request unknown",
    "validate valid",
    "validate unknown",
    "confirm valid",
    "confirm unknown",
)
DOCS = REPO / "docs" / "performance.md"
CHART = REPO / "docs" / "img" / "benchmark-ratios.png"
TEMPLATE = Path(__file__).resolve().parent / "report_template.md"

Row = tuple[str, str, str, str]
TIMES = "\N{MULTIPLICATION SIGN}"
DASH = "\N{EN DASH}"
NONE = "\N{EM DASH}"
MICRO = "\N{MICRO SIGN}"
DIVIDE = "\N{DIVISION SIGN}"
# CPU time through gunicorn, by process group (throughput.CpuMeter).
CPU_GROUPS = (
    ("server", "gunicorn"),
    ("worker", "task worker"),
    ("postgres", "PostgreSQL"),
    ("redis", "Redis"),
)
# resetkit's request endpoint, once per issue executor and task backend (run.py's throughput
# contenders).
EXECUTORS = (
    ("resetkit", "threads"),
    ("resetkit_tasks", "tasks (django-tasks-db)"),
    ("resetkit_tasks_rq", "tasks (RQ, forking worker)"),
    ("resetkit_tasks_rq_simple", "tasks (RQ, SimpleWorker)"),
)
TASK_EXECUTORS = EXECUTORS[1:]


def _num(value: float | None, digits: int = 1, unit: str = "") -> str:
    if value is None:
        return NONE
    return f"{value:,.{digits}f}{unit}"


def _ratio(value: float | None, low: float | None = None, high: float | None = None) -> str:
    if value is None:
        return NONE
    if low is not None and high is not None:
        return f"{value:.2f}{TIMES} ({low:.2f}{DASH}{high:.2f})"
    return f"{value:.2f}{TIMES}"


def _against(value: float, goal: float) -> str:
    """``value`` as a ratio, with a third decimal where two would round it onto ``goal``."""
    shown = _ratio(value)
    return f"{value:.3f}{TIMES}" if shown == _ratio(goal) and value != goal else shown


def rows(results: dict[str, Any]) -> list[tuple[str, list[Row]]]:
    """The table's sections: (title, [(measurement, upstream, resetkit, ratio)])."""
    sections: list[tuple[str, list[Row]]] = []
    queries = results.get("queries")
    if queries:
        for engine, what in (
            ("postgres", "PostgreSQL round trips (BEGIN/COMMIT included)"),
            ("sqlite", "SQLite calls (statements + BEGIN/COMMIT)"),
        ):
            table: list[Row] = []
            for case in CASES:
                up = queries[f"{engine}/upstream/orm"][case]["round_trips"]
                rk = queries[f"{engine}/resetkit/orm"][case]["round_trips"]
                table.append((case, str(up), str(rk), _ratio(rk / up if up else None)))
            sections.append((f"{what}, ORM store", table))
        table = []
        for case in CASES:
            cache = queries["postgres/resetkit/cache"][case]
            orm = queries["postgres/resetkit/orm"][case]
            table.append(
                (
                    case,
                    NONE,
                    f"{cache['round_trips']} DB + {cache['redis']} Redis "
                    f"(ORM store: +{orm['redis']} Redis)",
                    NONE,
                )
            )
        sections.append(("Cache store on Redis: database round trips + Redis commands", table))
    throughput = results.get("throughput")
    if throughput:
        sections.extend(_throughput_rows(throughput))
    backlog = results.get("backlog")
    if backlog:
        up, rk = backlog["upstream"], backlog["resetkit"]
        count = f"{up['rows']:,}"
        table = [
            ("empty table (ms)", _num(up["empty_ms"], 2), _num(rk["empty_ms"], 2), ""),
            (
                f"with {count} expired tokens (ms)",
                _num(up["backlog_ms"], 1) + " (first request)",
                _num(rk["backlog_ms"], 2),
                "",
            ),
            (
                f"slowdown with the backlog (median of {len(rk['slowdowns'])} alternations)",
                _ratio(up["slowdown"]),
                _ratio(rk["slowdown"]),
                "",
            ),
        ]
        sections.append(("Request latency in-process, deferred work included", table))
    cleanup = results.get("cleanup")
    if cleanup:
        up, rk, other = cleanup["upstream"], cleanup["resetkit"], cleanup["resetkit_other"]
        count = f"{up['expired']:,} expired + {up['fresh_expected']:,} fresh"
        table = [
            (
                f"wall time, {count} (s), default batch size",
                _num(up["wall_s"], 2),
                _num(rk["wall_s"], 2),
                _ratio(rk["wall_s"] / up["wall_s"]),
            ),
            (
                f"... resetkit with --batch-size {cleanup['batch_size']:,} (s)",
                NONE,
                _num(other["wall_s"], 2),
                _ratio(other["wall_s"] / up["wall_s"]),
            ),
            (
                "peak RSS (MiB)",
                _num(up["peak_rss_mib"], 0),
                _num(rk["peak_rss_mib"], 0),
                _ratio(rk["peak_rss_mib"] / up["peak_rss_mib"]),
            ),
            (
                "longest statement (ms, server log)",
                _num(up["longest_statement_ms"], 0),
                _num(rk["longest_statement_ms"], 0),
                "",
            ),
            ("fresh tokens left", _fresh(up), _fresh(rk), ""),
        ]
        large = cleanup.get("resetkit_large")
        if large:
            table.append(
                (
                    f"at {large['expired']:,} expired: wall (s) / peak RSS (MiB)",
                    NONE,
                    f"{_num(large['wall_s'], 2)} / {_num(large['peak_rss_mib'], 0)}",
                    "",
                )
            )
        up_r, rk_r = cleanup.get("upstream_receiver"), cleanup.get("resetkit_receiver")
        if up_r and rk_r:
            table.append(
                (
                    "with a post_delete receiver: wall (s) / peak RSS (MiB)",
                    _wall_rss(up_r),
                    _wall_rss(rk_r),
                    "",
                )
            )
        sections.append(("clearresetpasswodtokens on PostgreSQL", table))
    lookup = results.get("lookup")
    if lookup:
        users = f"{lookup['users']:,}"
        table = [
            (
                f"request latency, {users} users, no index (ms)",
                NONE,
                _num(lookup["without_index_ms"], 2),
                "",
            ),
            (
                "... with an index on UPPER(email) (ms)",
                NONE,
                _num(lookup["with_index_ms"], 2),
                _ratio(lookup["with_index_ms"] / lookup["without_index_ms"]),
            ),
        ]
        title = "Account lookup on PostgreSQL (resetkit; upstream sends the same query)"
        sections.append((title, table))
    redis = results.get("redis")
    if redis:
        table = []
        for label, data in redis.items():
            table.append((f"one token, {label} (bytes)", NONE, str(data["token_bytes"]), ""))
        first = next(iter(redis.values()))
        stamp = str(first["stamp_bytes"])
        table.append(("the user's revocation stamp (bytes, one per user)", NONE, stamp, ""))
        sections.append(("Redis MEMORY USAGE (cache store)", table))
    return sections


def _throughput_rows(throughput: dict[str, Any]) -> list[tuple[str, list[Row]]]:
    settings = throughput["settings"]
    common = (
        f"gunicorn ({settings['workers']} sync workers) on PostgreSQL, wrk "
        f"{settings['connections']} connections, {settings['rounds']} interleaved rounds of "
        f"{settings['seconds']:g} s (medians; ratio: median of the per-round ratios, with "
        "their range)"
    )
    sections: list[tuple[str, list[Row]]] = []

    data = throughput["validate"]
    up, rk, ratio = data["upstream"], data["resetkit"], data["ratio"]
    table: list[Row] = [
        (
            "validate: requests/s",
            _num(up["rps"], 0),
            _num(rk["rps"], 0),
            _ratio(ratio["rps"], ratio["rps_min"], ratio["rps_max"]),
        )
    ]
    for point in ("p50", "p99"):
        table.append(
            (
                f"validate: {point} latency (ms)",
                _num(up[f"{point}_ms"], 2),
                _num(rk[f"{point}_ms"], 2),
                _ratio(ratio[point]),
            )
        )
    up_cpu, rk_cpu = up.get("cpu_us", {}), rk.get("cpu_us", {})
    for group, label in CPU_GROUPS:
        if up_cpu.get(group) and rk_cpu.get(group):
            table.append(
                (
                    f"validate: {label} CPU per request ({MICRO}s)",
                    _num(up_cpu[group], 0),
                    _num(rk_cpu[group], 0),
                    _ratio(rk_cpu[group] / up_cpu[group]),
                )
            )
    sections.append((f"Validate through {common}", table))

    data = throughput["request"]
    up = data["upstream"]
    ratios = data.get("ratios") or {"resetkit": data["ratio"]}
    present = [(name, label) for name, label in EXECUTORS if name in data]
    table = []
    for name, label in present:
        rk, ratio = data[name], ratios[name]
        table.append(
            (
                f"request, {label}: requests/s answered (web tier)",
                _num(up["rps"], 0),
                _num(rk["rps"], 0),
                _ratio(ratio["rps"], ratio["rps_min"], ratio["rps_max"]),
            )
        )
    for name, label in present:
        rk, ratio = data[name], ratios[name]
        if rk.get("web_cpu_us") and up.get("web_cpu_us") and "web_capacity" in ratio:
            table.append(
                (
                    f"request, {label}: CPU per request answered while wrk ran, every process "
                    f"({MICRO}s; ratio: upstream's {DIVIDE} this, requests per CPU second)",
                    _num(sum(up["web_cpu_us"].values()), 0),
                    _num(sum(rk["web_cpu_us"].values()), 0),
                    _ratio(ratio["web_capacity"], ratio["web_min"], ratio["web_max"]),
                )
            )
    for name, label in present:
        rk = data[name]
        if "tokens_per_request" in rk:
            table.append(
                (
                    f"request, {label}: tokens issued per request (lowest round)",
                    _per_request(up),
                    _per_request(rk),
                    "",
                )
            )
    for name, label in present:
        rk, ratio = data[name], ratios[name]
        if "sustained" in ratio:
            table.append(
                (
                    f"request, {label}: tokens issued/s over the round and its drain",
                    _num(up["sustained_rps"], 0),
                    _num(rk["sustained_rps"], 0),
                    _ratio(ratio["sustained"], ratio["sustained_min"], ratio["sustained_max"]),
                )
            )
    for name, label in present:
        rk = data[name]
        if "drain_s" in rk:
            table.append(
                (
                    f"request, {label}: work left when wrk stopped (s to drain, max)",
                    f"{_num(up['drain_s'], 1)} ({_num(up['drain_s_max'], 1)})",
                    f"{_num(rk['drain_s'], 1)} ({_num(rk['drain_s_max'], 1)})",
                    "",
                )
            )
    for name, label in present:
        rk, ratio = data[name], ratios[name]
        table.append(
            (
                f"request, {label}: p50 / p99 latency (ms)",
                f"{_num(up['p50_ms'], 2)} / {_num(up['p99_ms'], 2)}",
                f"{_num(rk['p50_ms'], 2)} / {_num(rk['p99_ms'], 2)}",
                f"{_ratio(ratio['p50'])} / {_ratio(ratio['p99'])}",
            )
        )
    sections.append((f"Request through {common}", table))

    table = []
    for name, label in present:
        rk, ratio = data[name], ratios[name]
        if not rk.get("cpu_per_token_total_us") or not up.get("cpu_per_token_total_us"):
            continue
        table.append(
            (
                f"request, {label}: total CPU per issued token ({MICRO}s)",
                _num(up["cpu_per_token_total_us"], 0),
                _num(rk["cpu_per_token_total_us"], 0),
                _ratio(ratio.get("cpu_per_token"), ratio.get("cpu_min"), ratio.get("cpu_max")),
            )
        )
        up_cpu, rk_cpu = up["cpu_per_token_us"], rk["cpu_per_token_us"]
        for group, group_label in CPU_GROUPS:
            if not (up_cpu.get(group, 0) >= 0.5 or rk_cpu.get(group, 0) >= 0.5):
                continue
            table.append(
                (
                    f"... {group_label}",
                    _num(up_cpu.get(group), 0),
                    _num(rk_cpu.get(group), 0),
                    _ratio(rk_cpu[group] / up_cpu[group]) if up_cpu.get(group) else NONE,
                )
            )
    threads = data.get("resetkit", {})
    for name, label in TASK_EXECUTORS:
        tasks = data.get(name, {})
        if threads.get("cpu_per_token_total_us") and tasks.get("cpu_per_token_total_us"):
            table.append(
                (
                    f"{label} {DIVIDE} threads: total CPU per issued token",
                    NONE,
                    _ratio(tasks["cpu_per_token_total_us"] / threads["cpu_per_token_total_us"]),
                    "",
                )
            )
    if table:
        sections.append(
            (
                "Total CPU per issued token, over each round and its drain: gunicorn (pool "
                "threads included), the task worker, PostgreSQL, Redis",
                table,
            )
        )
    return sections


def _per_request(data: dict[str, Any]) -> str:
    if data.get("tokens_per_request") is None:
        return NONE
    text = f"{data['tokens_per_request']:.3f} ({data['tokens_per_request_min']:.3f})"
    if data.get("dropped"):
        text += f", {data['dropped']:,} dropped"
    return text


def _fresh(data: dict[str, Any]) -> str:
    if data.get("timed_out"):
        return "timed out"
    left = data.get("left", {}).get("fresh")
    return f"{left:,} of {data['fresh_expected']:,}"


def _wall_rss(data: dict[str, Any]) -> str:
    if data.get("timed_out"):
        return f"> {data['wall_s']:.0f} (stopped) / {_num(data['peak_rss_mib'], 0)}"
    return f"{_num(data['wall_s'], 2)} / {_num(data['peak_rss_mib'], 0)}"


def render_table(results: dict[str, Any]) -> str:
    """The one table, as Markdown (readable in a terminal too)."""
    lines = [
        "| measurement | django-rest-passwordreset 1.6.0 | resetkit | resetkit ÷ upstream |",
        "|---|---:|---:|---:|",
    ]
    for title, table in rows(results):
        lines.append(f"| **{title}** | | | |")
        for measurement, up, rk, ratio in table:
            lines.append(f"| {measurement} | {up} | {rk} | {ratio} |")
    return "\n".join(lines)


# -- chart ----------------------------------------------------------------------------------------


def chart_bars(results: dict[str, Any]) -> list[tuple[str, float, float | None, float | None]]:
    """(label, advantage, low, high): advantage > 1 means resetkit does better."""
    bars: list[tuple[str, float, float | None, float | None]] = []
    throughput = results.get("throughput")
    if throughput:
        ratio = throughput["validate"]["ratio"]
        bars.append(("validate throughput", ratio["rps"], ratio["rps_min"], ratio["rps_max"]))
        bars.append(("validate p50 latency (inverse)", 1 / ratio["p50"], None, None))
        request = throughput["request"]
        ratios = request.get("ratios") or {"resetkit": request["ratio"]}
        for name, label in EXECUTORS:
            ratio = ratios.get(name)
            if ratio is None:
                continue
            bars.append(
                (f"request throughput, {label}", ratio["rps"], ratio["rps_min"], ratio["rps_max"])
            )
            if "cpu_per_token" in ratio:
                bars.append(
                    (
                        f"request CPU per issued token, {label} (inverse)",
                        1 / ratio["cpu_per_token"],
                        1 / ratio["cpu_max"],
                        1 / ratio["cpu_min"],
                    )
                )
    queries = results.get("queries")
    if queries:
        for case in ("request existing", "request unknown", "confirm valid"):
            up = queries["postgres/upstream/orm"][case]["round_trips"]
            rk = queries["postgres/resetkit/orm"][case]["round_trips"]
            bars.append((f"{case}: round trips (inverse)", up / rk, None, None))
    backlog = results.get("backlog")
    if backlog:
        advantage = backlog["upstream"]["slowdown"] / backlog["resetkit"]["slowdown"]
        bars.append(("request with expired backlog: slowdown (inverse)", advantage, None, None))
    cleanup = results.get("cleanup")
    if cleanup:
        up, rk = cleanup["upstream"], cleanup["resetkit"]
        advantage = up["wall_s"] / rk["wall_s"]
        bars.append(("cleanup command wall time (inverse)", advantage, None, None))
    return bars


def write_chart(results: dict[str, Any]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    bars = chart_bars(results)
    if not bars:
        return
    labels = [bar[0] for bar in bars]
    values = [bar[1] for bar in bars]
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(bars) + 1.4))
    positions = list(range(len(bars)))
    colors = ["#2a7ab0" if value >= 1 else "#c0504d" for value in values]
    ax.barh(positions, values, color=colors)
    for position, (_label, value, low, high) in zip(positions, bars, strict=True):
        right = value
        if low is not None and high is not None:  # the spread of the interleaved rounds
            ax.errorbar(
                value, position, xerr=[[value - low], [high - value]], color="black", capsize=3
            )
            right = high
        ax.text(right * 1.04, position, f"{value:.2f}{TIMES}", va="center", fontsize=8)
    ax.axvline(1.0, color="black", linewidth=1)
    ax.set_yticks(positions, labels)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlim(right=max(max(bar[3] or bar[1] for bar in bars) * 1.6, 2))
    ax.set_xlabel(f"advantage over django-rest-passwordreset 1.6.0 ({TIMES}, log scale)")
    meta = results["meta"]
    ax.set_title(f"{meta['date']}, {meta['machine']}", fontsize=8)
    fig.tight_layout()
    CHART.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(CHART, dpi=110)
    plt.close(fig)


# -- docs -----------------------------------------------------------------------------------------


def write_docs(results: dict[str, Any]) -> None:
    meta = results["meta"]
    text = TEMPLATE.read_text()
    values = {
        "command": meta["command"],
        "date": meta["date"],
        "machine": meta["machine"],
        "mode": "quick mode (smaller tables, shorter rounds)" if meta["quick"] else "full mode",
        "minutes": f"{meta.get('seconds', 0) / 60:.0f}",
        "table": render_table(results),
        "plan": _plan(results),
        "targets": _targets(results),
    }
    for name, value in values.items():
        text = text.replace("{{" + name + "}}", value)
    DOCS.write_text(text)


def _plan(results: dict[str, Any]) -> str:
    plan = (results.get("backlog") or {}).get("resetkit", {}).get("plan")
    lines = (plan or "(not measured in this run)").splitlines()
    return "\n".join("  " + line for line in lines)  # inside a list item


def _targets(results: dict[str, Any]) -> str:
    """Each target of the performance work, and whether this run met it."""
    checks: list[tuple[str, bool | None, str]] = []
    queries = results.get("queries")
    if queries:
        pg = queries["postgres/resetkit/orm"]
        for case, limit in (
            ("request existing", 4),
            ("request unknown", 2),
            ("validate valid", 1),
            ("confirm valid", 5),
        ):
            got = pg[case]["round_trips"]
            checks.append((f"{case}: <= {limit} round trips", got <= limit, str(got)))
    throughput = results.get("throughput")
    if throughput:
        request = throughput["request"]
        ratios = request.get("ratios") or {}
        threads_cpu = request.get("resetkit", {}).get("cpu_per_token_total_us")
        for name, label in TASK_EXECUTORS:
            tasks = ratios.get(name)
            if tasks:
                got = tasks["rps"]
                checks.append(
                    (
                        f"request throughput, {label} (web tier) >= 2.0{TIMES} upstream",
                        got >= 2.0,
                        _against(got, 2.0),
                    )
                )
            tasks_cpu = request.get(name, {}).get("cpu_per_token_total_us")
            if threads_cpu and tasks_cpu:
                got = tasks_cpu / threads_cpu
                checks.append(
                    (
                        f"total CPU per issued token, {label} <= the thread executor's",
                        got <= 1.0,
                        f"{tasks_cpu:,.0f} vs {threads_cpu:,.0f} {MICRO}s ({_against(got, 1.0)})",
                    )
                )
        for name, label in (("upstream", "upstream"), *EXECUTORS):
            per_request = request.get(name, {}).get("tokens_per_request_min")
            if per_request is not None:
                checks.append(
                    (
                        f"every request issued a token ({label}; lowest round)",
                        per_request >= 0.99,
                        f"{per_request:.3f}",
                    )
                )
        got = throughput["validate"]["ratio"]["rps"]
        checks.append(
            (f"validate throughput >= 1.1{TIMES} upstream", got >= 1.1, _against(got, 1.1))
        )
    backlog = results.get("backlog")
    if backlog:
        got = backlog["resetkit"]["slowdown"]
        checks.append(("request with the expired backlog <= 1.2" + TIMES, got <= 1.2, _ratio(got)))
    cleanup = results.get("cleanup")
    if cleanup:
        up, rk = cleanup["upstream"], cleanup["resetkit"]
        ratio = rk["wall_s"] / up["wall_s"]
        checks.append((f"cleanup wall time <= 1.5{TIMES} upstream", ratio <= 1.5, _ratio(ratio)))
        longest = rk["longest_statement_ms"] or rk["longest_batch_ms"]
        if longest is not None:
            checks.append(("no cleanup statement over 250 ms", longest <= 250, f"{longest:.0f} ms"))
        large = cleanup.get("resetkit_large")
        if large and rk["peak_rss_mib"] and large["peak_rss_mib"]:
            grow = large["peak_rss_mib"] / rk["peak_rss_mib"]
            checks.append(
                (
                    f"cleanup peak RSS flat from {rk['expired']:,} to {large['expired']:,} rows",
                    grow <= 1.05,
                    _ratio(grow),
                )
            )
    redis = results.get("redis")
    if redis:
        for label, data in redis.items():
            bytes_ = data["token_bytes"]
            checks.append(
                (f"Redis memory per token <= 300 bytes, {label}", bytes_ <= 300, f"{bytes_} bytes")
            )
    lines = ["| target | this run | met |", "|---|---:|:---:|"]
    for name, met, got in checks:
        lines.append(f"| {name} | {got} | {'yes' if met else 'no'} |")
    return "\n".join(lines)
