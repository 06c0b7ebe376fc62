# The steering scenario's three sites (bench/scenario.sh); at 60 s the near
# site's instance serves at half its speed (a CPU hog, a slower slot
# server): its capacity halves.
service-time 50
distribution exp
site near 5 2
site mid 20 3
site far 50 5
load 0.8
report 100,1000
routers 1,4,16
warmup 30
duration 150
seeds 20
policies lc,wlc,weighted,wrr-opt,least-cost,least-cost-metrics,least-cost-plan,least-cost-plan-svc,least-cost-old-w
at 60 speed near 0.5
