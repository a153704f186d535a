"""The volume pass's tools: every false drop or spike and every missed drop of a seed, with the windows'
counts against their expectations and the generator's noise-free rate; and pooled volume figures for a
variant of the model, without re-running the whole bench.

    PYTHONPATH=. python scripts/volume_cases.py cache realistic 0,1,2      # traffic, shapes, other kinds' conditions
    PYTHONPATH=. python scripts/volume_cases.py dump realistic 0,1 week_2,weeks_4_plus
    MP='{"week_level_below": 1.0}' PYTHONPATH=. python scripts/volume_cases.py pool realistic 0-5,100-104

``cache`` keeps, per seed, the traffic, the learned shapes and every non-volume condition of
``bench.checks.evaluate`` (in ``$VOLUME_CACHE``, default ``~/.cache/governance/volume_cases``); ``pool`` recomputes only the
volume conditions (about 15 s a seed) with ``ModelParams`` fields from ``$MP`` and ``VolumeCheckParams``
fields from ``$VP`` (JSON), and scores them with ``bench.score`` (silence alerts count as detections); with
``$SIL`` set, the silence conditions are recomputed from the same model too (a change to the low estimate moves
the floor and the level a silence reads).
"""
# ruff: noqa: E501  (an analysis script: its report lines are long f-strings)
import json
import os
import pickle
import sys

import numpy as np

from governance.bench.checks import GENERATORS, BenchConfig, alerts_of, evaluate
from governance.bench.fast import _cumsum, hour_model, hour_shapes, hourly_counts, volume_conditions
from governance.bench.score import ScoreConfig, _caused, _on_holiday, _week, false_alerts, recall
from governance.quality.baseline import first_arrival_mask
from governance.quality.baseline.expectation import window_expectation
from governance.quality.baseline.seasonal import HOURS_PER_WEEK, samples
from governance.quality.baseline.shape import ShapeLookup
from governance.quality.checks.volume import model as volume_model
from governance.quality.detect.volume import spread

C = os.environ.get("VOLUME_CACHE", os.path.expanduser("~/.cache/governance/volume_cases"))

def load(gen, seed):
    path = f"{C}/{gen}_{seed}.pkl"
    if os.path.exists(path):
        with open(path, "rb") as f:
            return pickle.load(f)  # noqa: S301 (this script's own cache file)
    tr = GENERATORS[gen](200, 35, seed)
    masked = first_arrival_mask(hourly_counts(tr.counts))
    shapes = hour_shapes(tr.counts, masked).astype(np.float32)
    config = BenchConfig()
    when, holds, _learning = evaluate(tr, config)
    keep = {k: holds[k] for k in ("silence", "decline", "violations", "drift")}
    d = dict(tr=tr, masked=masked, shapes=shapes, when=when, other=keep, drop0=holds["drop"], spike0=holds["spike"])
    os.makedirs(C, exist_ok=True)
    with open(path, "wb") as f:
        pickle.dump(d, f, protocol=5)
    return d

def volume(d, vp=None, mp=None):
    config = BenchConfig()
    vp = vp or config.volume
    vextra = json.loads(os.environ.get("VP", "{}"))
    if vextra:
        vp = vp.model_copy(update=vextra)
    tr = d["tr"]
    cs = _cumsum(tr.counts)
    p = mp or volume_model(vp)
    import dataclasses
    extra = json.loads(os.environ.get("MP", "{}"))
    if extra:
        p = dataclasses.replace(p, **extra)
    model = hour_model(d["masked"], tr.start_minute // 60, p)
    drop, spike, _ = volume_conditions(cs, d["when"]["drop"], model, d["shapes"].astype(np.float64), vp)
    if os.environ.get("SIL"):  # the model's change moves what silence reads (its floor, the level): recompute it
        from governance.bench.fast import silence_conditions
        d["other"] = dict(d["other"], silence=silence_conditions(tr.counts, cs, d["masked"], d["when"]["silence"], model,
                                                                 d["shapes"].astype(np.float64), config.silence)[0])
    return drop, spike, model

def score(d, drop, spike):
    tr = d["tr"]
    holds = dict(d["other"], drop=drop, spike=spike)
    alerts = alerts_of(d["when"], holds)
    sc = ScoreConfig()
    f = false_alerts(tr, alerts, sc)
    r = recall(tr, alerts, sc)
    return alerts, f, r

def summary(f, r):
    out = {}
    for w in ("week_1", "week_2", "week_3", "weeks_4_plus"):
        k = f[w]["by_kind"]
        out[w] = {"drop": k.get("drop", 0), "spike": k.get("spike", 0), "other": f[w]["false_alerts"] - k.get("drop", 0) - k.get("spike", 0)}
    rec = {}
    for fam in ("drops", "half_drops", "outages", "spikes", "campaigns"):
        if fam in r:
            rec[fam] = {w: (v["detected"], v["anomalies"]) for w, v in r[fam]["by_week"].items()}
    return out, rec

DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]

def local(tr, e, minute):
    m = minute + tr.tz_offsets[e]
    return f"{DAYS[(m // 1440) % 7]} {(m % 1440)//60:02d}:{m % 60:02d}"

def explain(d, model, e, m):
    tr = d["tr"]
    cs = _cumsum(tr.counts[e:e+1])
    shapes = d["shapes"][e:e+1].astype(np.float64)
    t = m // 60
    pair = np.array([[t - 1, t]])
    looks = (ShapeLookup(shapes, np.array([[t - 1]])), ShapeLookup(shapes, np.array([[t]])))
    into = np.array([[(m % 60) / 60.0]])
    rows = []
    for w in (10, 20, 30, 60):
        lo, hi, wait = window_expectation(into, float(w), low=model.low_pair(pair, np.array([t]))[e:e+1],
                                          high=model.high[e:e+1][:, pair], learning=model.learning[e:e+1][:, pair],
                                          shapes=looks, drop_scale=model.drop_scale[e:e+1, [t]],
                                          spike_scale=model.spike_scale[e:e+1, [t]])
        obs = cs[0, m] - cs[0, m - w]
        nf = float(tr.rate[e, m - w:m].sum())
        lo, hi = float(lo[0, 0]), float(hi[0, 0])
        zl = (obs - lo) / float(spread(lo, model.error[e, t]))
        zh = (obs - hi) / float(spread(hi, model.error_high[e, t]))
        rows.append(f"w{w}: obs {obs} lo {lo:.0f} hi {hi:.0f} nf {nf:.0f} zl {zl:.1f} zh {zh:.1f}{' W' if wait[0,0] else ''}")
    masked = d["masked"]
    wk = samples(masked[e:e+1], np.array([t]), HOURS_PER_WEEK, 4)[0, 0]
    dy = samples(masked[e:e+1], np.array([t]), 24, 7)[0, 0]
    nf_hour = float(tr.rate[e, t*60:(t+1)*60].sum())
    info = (f"  level {model.drop_scale[e,t]:.2f}/{model.spike_scale[e,t]:.2f} err {model.error[e,t]:.2f}"
            f" wscale {model.week_scale[e,t]:.2f} lowH {model.low[e,t]:.0f} adj {model.low_pair(np.array([[t,t]]), np.array([t]))[e,0,0]:.0f}"
            f" highH {model.high[e,t]:.0f} nfH {nf_hour:.0f} obsH {masked[e,t] if t < masked.shape[1] else -1}\n"
            f"  weeks {wk.round(0).tolist()} days {dy.round(0).tolist()}")
    return "  " + " | ".join(rows) + "\n" + info

def anomalies_near(tr, e, m, span=8 * 1440):
    out = []
    for a in tr.anomalies:
        if a.event == e and a.kind != "violations" and a.end > m - span and a.start < m + 180:
            out.append(f"{a.kind}@{(a.start - m)/60:+.1f}h..{(a.end - m)/60:+.1f}h")
    for ev, lo, hi in tr.holidays:
        if ev == e and hi > m - span and lo < m + 180:
            out.append(f"holiday@{(lo - m)/60:+.1f}h")
    return " ".join(out)

def run(gen, seed, weeks=("week_2", "weeks_4_plus"), misses=True):
    d = load(gen, seed)
    tr = d["tr"]
    drop, spike, model = volume(d)
    alerts, _f, _r = score(d, drop, spike)
    sc = ScoreConfig()
    by_event = {}
    for a in tr.anomalies:
        by_event.setdefault(a.event, []).append(a)
    hol = {}
    for ev, lo, hi in tr.holidays:
        hol.setdefault(ev, []).append((lo, hi))
    print(f"=== {gen} seed {seed}")
    for a in alerts:
        e, on, off, kind = a
        if kind not in ("drop", "spike") or _week(on) not in weeks:
            continue
        if _caused(a, by_event.get(e, []), sc, tr.minutes) or _on_holiday(a, hol, sc.grace):
            continue
        print(f"FALSE {kind} ev{e} {tr.archetypes[e]} {tr.mean_per_hour[e]:.0f}/h {_week(on)} day{on//1440} {local(tr, e, on)} dur {off-on}m | {anomalies_near(tr, e, on)}")
        print(explain(d, model, e, on))
    if not misses:
        return
    firing = {}
    for e, on, off, kind in alerts:
        firing.setdefault(e, []).append((on, off, kind))
    for a in tr.anomalies:
        if a.kind not in ("zero", "night_zero", "half") or a.end - a.start < 30:
            continue
        if tr.running_rate(a) < 100 or _week(a.start) not in weeks:
            continue
        hit = any(on <= a.end and off >= a.start and k in ("drop", "silence") for on, off, k in firing.get(a.event, []))
        if hit:
            continue
        e = a.event
        rate = tr.running_rate(a)
        print(f"MISS {a.kind} ev{e} {tr.archetypes[e]} {rate:.0f}/h {_week(a.start)} {local(tr, e, a.start)} {a.end-a.start}m | {anomalies_near(tr, e, a.start)}")
        for m in range(a.start + 30 - a.start % 5, min(a.end + 1, a.start + 121), 15):
            print(f" +{m-a.start}m" + explain(d, model, e, m))

def one(args):
    gen, s = args
    d = load(gen, s)
    drop, spike, _ = volume(d)
    _, f, r = score(d, drop, spike)
    return summary(f, r)

def seeds(text):
    out = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        out += list(range(int(lo), int(hi or lo) + 1))
    return out

def pool(gen, text):
    from multiprocessing import Pool
    ss = seeds(text)
    with Pool(2) as p:
        res = p.map(one, [(gen, s) for s in ss])
    tot, rec = {}, {}
    for f, r in res:
        for w, v in f.items():
            for k, c in v.items():
                tot.setdefault(w, {}).setdefault(k, 0)
                tot[w][k] += c
        for fam, byw in r.items():
            for w, (h, n) in byw.items():
                x = rec.setdefault(fam, {}).setdefault(w, [0, 0])
                x[0] += h
                x[1] += n
    print(gen, text, "false drops/spikes/other:", {w: f"{v['drop']}d/{v['spike']}s/{v['other']}o" for w, v in tot.items()})
    for fam in ("drops", "half_drops", "outages", "spikes"):
        print("  ", fam, {w: f"{h}/{n}={h / max(n, 1):.3f}" for w, (h, n) in rec.get(fam, {}).items()})


if __name__ == "__main__":
    what, gen, which = sys.argv[1], sys.argv[2], sys.argv[3]
    if what == "cache":
        for s in seeds(which):
            load(gen, s)
    elif what == "dump":
        for s in seeds(which):
            run(gen, s, weeks=tuple(sys.argv[4].split(",")) if len(sys.argv) > 4 else ("week_2", "weeks_4_plus"))
    else:
        pool(gen, which)
