#!/usr/bin/env python3
"""Reads a pgroup trace (JSON Lines) and prints, as KEY=VALUE lines, what
reports/hierarchical/run.sh needs: request latency (hier_request ->
hier_reply of the same msg), full-set multicast latency per kind
(hier_gsend -> each hier_gdeliver), and the view events written after a time
(the view-change cost of a crash). Every number comes from the trace."""
import json, sys

def pct(v, p):
    if not v:
        return float('nan')
    v = sorted(v)
    return v[min(len(v) - 1, int(p / 100.0 * len(v)))]

path, after = sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else -1
req, lat, gsend, glat = {}, [], {}, {'local': [], 'global': []}
views_after, view_nodes = 0, set()
with open(path) as f:
    next(f)
    for line in f:
        e = json.loads(line)
        ev, t = e.get('ev'), e['t']
        if ev == 'hier_request':
            req[e['msg']] = t
        elif ev == 'hier_reply' and e['msg'] in req:
            lat.append(t - req.pop(e['msg']))
        elif ev == 'hier_gsend':
            gsend[e['msg']] = t
        elif ev == 'hier_gdeliver' and e['msg'] in gsend:
            glat[e['kind']].append(t - gsend[e['msg']])
        elif ev == 'view' and after >= 0 and t >= after:
            views_after += 1
            view_nodes.add(e['node'])
print('requests_answered=%d' % len(lat))
print('lat_p50_ms=%.3f' % (1e3 * pct(lat, 50)))
print('lat_p99_ms=%.3f' % (1e3 * pct(lat, 99)))
for k in ('local', 'global'):
    print('%s_n=%d' % (k, len(glat[k])))
    print('%s_p50_ms=%.3f' % (k, 1e3 * pct(glat[k], 50)))
    print('%s_p99_ms=%.3f' % (k, 1e3 * pct(glat[k], 99)))
print('views_after=%d' % views_after)
print('view_nodes_after=%d' % len(view_nodes))
