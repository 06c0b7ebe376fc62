# The steady scenario with 1, 4 and 16 routers, each seeing only its own
# demands, at 50, 80 and 95 % load.
service-time 50
distribution exp
site near 5 2
site mid 20 3
site far 50 5
load 0.5,0.8,0.95
report 100,1000
routers 1,4,16
warmup 60
duration 600
seeds 10
policies lc,wlc,weighted,wrr-opt,least-cost,least-cost-metrics,least-cost-plan
