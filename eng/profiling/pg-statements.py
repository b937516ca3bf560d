#!/usr/bin/env python3
"""Statements per saga from a PostgreSQL log written with log_min_duration_statement=0 and log_line_prefix="%m %u %d %p "
(docs/benchmarks.md): counts the executed statements of a 10 s window ending 3 s before the log ends, per database and per
statement text, divided by the sagas of that window. Usage: pg-statements.py LOG [TOP] [SAGAS_IN_WINDOW]"""
import re,collections,sys,datetime
lines=open(sys.argv[1],errors='replace').read().split('\n')
ts_re=re.compile(r'^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\.\d+ UTC (\S*) (\S*) (\d+?)(LOG|DETAIL|ERROR|STATEMENT|WARNING|FATAL|HINT|CONTEXT):\s+(.*)$')
recs=[]
cur=None
for l in lines:
    m=ts_re.match(l)
    if m:
        cur=list(m.groups()); recs.append(cur)
    elif cur is not None and l.startswith('\t'):
        cur[5]+=' '+l.strip()
last=recs[-1][0]
t=lambda s: datetime.datetime.strptime(s,'%Y-%m-%d %H:%M:%S')
end=t(last)-datetime.timedelta(seconds=3); start=end-datetime.timedelta(seconds=10)
sagas=int(sys.argv[3]) if len(sys.argv)>3 else 500
kinds=collections.Counter(); perdb=collections.Counter(); phases=collections.Counter()
for ts,u,d,pid,lvl,msg in recs:
    if not (start<=t(ts)<end) or lvl!='LOG': continue
    m=re.search(r'duration: [\d.]+ ms\s+(parse|bind|execute|statement)([^:]*): (.*)',msg)
    if not m:
        kinds[('other',msg[:70])]+=1; continue
    phase,name,sql=m.groups()
    phases[phase]+=1
    if phase in('parse','bind'): continue
    perdb[d]+=1
    key=re.sub(r'\s+',' ',sql)[:120]
    kinds[(d,key)]+=1
print('window',start,end, {k:v/sagas for k,v in phases.items()})
for k,v in perdb.most_common(): print(round(v/sagas,2),'statements per saga in',k)
for k,v in kinds.most_common(int(sys.argv[2]) if len(sys.argv)>2 else 50): print(round(v/sagas,2),k)
