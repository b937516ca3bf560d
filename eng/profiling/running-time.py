#!/usr/bin/env python3
"""Where a .NET process's threads were running, from a dotnet-trace sampled thread-time trace converted to
speedscope (dotnet-trace convert --format Speedscope). The sampler records every thread's stack ~100 times per
second, blocked or not, and marks each sample CPU_TIME (running managed code) or UNMANAGED_CODE_TIME (in native
code: mostly blocked in a wait or a syscall). Only CPU_TIME is charged, to the stack under it (inclusive: every
distinct frame on it; exclusive: the innermost managed frame); native CPU (TLS, compression) is not seen. Usage:
  running-time.py TRACE.speedscope.json [TOP] [FILTER]   (FILTER: only frames containing this text)"""
import json, re, sys, collections

WAITS = re.compile(r"WaitHandle\.Wait|Monitor\.Wait|LowLevelLifoSemaphore\.Wait|WaitForSignal|ManualResetEventSlim\.Wait|"
                   r"Thread\.Sleep|Interop\+Sys\.(Read|WaitForSocketEvents|Poll)|SocketAsyncEngine\.EventLoop|InternalWaitCore|"
                   r"Task\.SpinWait|SpinWait\.SpinOnce|Thread\.<PollGC>|WaitOneNoCheck|WaitMultiple|Interop\+Sys\.WaitPid|epoll")

def main():
    path = sys.argv[1]
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 40
    only = sys.argv[3] if len(sys.argv) > 3 else None
    data = json.load(open(path))
    frames = [f["name"] for f in data["shared"]["frames"]]
    inclusive, exclusive = collections.Counter(), collections.Counter()
    running = waiting = 0.0
    for profile in data["profiles"]:
        stack, last = [], None
        for event in profile["events"]:
            at = event["at"]
            if last is not None and stack and at > last:
                span = at - last
                leaf = frames[stack[-1]]
                if leaf != "CPU_TIME" or len(stack) < 2 or WAITS.search(frames[stack[-2]]):
                    waiting += span
                else:
                    running += span
                    exclusive[frames[stack[-2]]] += span
                    for name in {frames[f] for f in stack[:-1]}:
                        if not name.startswith(("Thread (", "Process64", "Threads", "(Non-Activities)", "(Activities)", "Activity ")):
                            inclusive[name] += span
            last = at
            if event["type"] == "O":
                stack.append(event["frame"])
            elif stack:
                stack.pop()
    print(f"managed code running {running:.0f} ms, other {waiting:.0f} ms (sampled thread time, all threads)")
    for title, counter in (("inclusive", inclusive), ("exclusive", exclusive)):
        print(f"-- top {top} {title} (% of running time) --")
        shown = 0
        for name, span in counter.most_common():
            if only and only not in name:
                continue
            print(f"{span / running * 100:6.2f}%  {name[:150]}")
            shown += 1
            if shown >= top:
                break

main()
