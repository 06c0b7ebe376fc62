# A flash crowd: at 60 s the demand doubles from 45 % to 90 % of the
# sites' capacity.
service-time 50
distribution exp
site near 5 2
site mid 20 3
site far 50 5
load 0.45
report 100,1000
routers 1,4
warmup 30
duration 150
seeds 20
policies lc,wlc,weighted,wrr-opt,least-cost,least-cost-metrics,least-cost-plan,least-cost-plan-svc,least-cost-old-w
at 60 load 0.9
