# An instance fails at 60 s, losing what it serves and holds, and comes
# back at 100 s; the routers learn of the failure after three silent
# report intervals, of the recovery with its first report.
service-time 50
distribution exp
site near 5 2
site mid 20 3
site far 50 5
load 0.6
report 100,1000
routers 1,4
warmup 30
duration 160
seeds 20
policies lc,wlc,weighted,wrr-opt,least-cost,least-cost-metrics,least-cost-plan,least-cost-plan-svc,least-cost-old-w
at 60 fail mid
at 100 recover mid
