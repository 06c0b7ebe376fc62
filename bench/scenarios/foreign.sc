# Foreign load: from 60 s, something else takes 40 % of the far site's
# capacity for half of every 20 s.
service-time 50
distribution exp
site near 5 2
site mid 20 3
site far 50 5
load 0.75
report 100,1000
routers 1,4,16
warmup 30
duration 180
seeds 20
policies lc,wlc,weighted,wrr-opt,least-cost,least-cost-metrics,least-cost-plan,least-cost-plan-svc,least-cost-old-w
at 60 foreign far 0.4 20
