#!/usr/bin/env python3
"""Self and inclusive time per method from `perf script` output of a .NET process, resolving JIT'd frames with the
process's perf map (run it with DOTNET_PerfMapEnabled=1; W^X double mapping hides them from perf itself).
Usage: perf script -i perf.data -F tid,ip,sym,dso | python3 perf-managed.py /tmp/perf-PID.map [top]"""
import bisect, collections, re, sys

rows = []
for line in open(sys.argv[1]):
    parts = line.rstrip('\n').split(' ', 2)
    if len(parts) == 3:
        rows.append((int(parts[0], 16), int(parts[1], 16), parts[2]))
rows.sort()
starts = [r[0] for r in rows]
top = int(sys.argv[2]) if len(sys.argv) > 2 else 40

def name(ip, sym, dso):
    i = bisect.bisect_right(starts, ip) - 1
    if i >= 0 and ip < rows[i][0] + rows[i][1]:
        text = rows[i][2]
        text = re.sub(r'\[(OptimizedTier1|Tier0|Tier1|QuickJitted|Optimized|OptimizedTier1OSR|Tier1-OSR|Instrumented Tier0|Instrumented Tier1)\]$', '', text)
        return text.strip()
    if sym and sym != '[unknown]':
        return f'{sym} ({dso.split("/")[-1]})'
    return f'? ({dso.split("/")[-1]})'

self_time, incl = collections.Counter(), collections.Counter()
samples = 0
stack = []
def flush():
    global samples
    if not stack:
        return
    samples += 1
    self_time[stack[0]] += 1
    for frame in set(stack):
        incl[frame] += 1
for line in sys.stdin:
    line = line.rstrip('\n')
    if not line.strip():
        flush(); stack = []
        continue
    if line[0] not in ' \t':
        flush(); stack = []
        continue
    m = re.match(r'\s+([0-9a-f]+)\s+(.*?)\s+\((.*)\)$', line)
    if m:
        ip = int(m.group(1), 16)
        sym = re.sub(r'\+0x[0-9a-f]+$', '', m.group(2))
        stack.append(name(ip, sym, m.group(3)))
flush()
print(f'{samples} samples')
print('-- self --')
for k, v in self_time.most_common(top):
    print(f'{100*v/samples:6.2f}%  {k[:170]}')
print('-- inclusive --')
for k, v in incl.most_common(top * 2):
    print(f'{100*v/samples:6.2f}%  {k[:170]}')
