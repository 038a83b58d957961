# Sourced by the measurements that start `tidings demo`: `wait_for_avif PORT` waits until the demo's
# background job has made the AVIF copies of every photo, so that no measurement runs beside the
# encoder. The job takes the newest photo first and the budget story's (story-00) is the oldest, so
# once its page offers that photo as AVIF, every page does.
wait_for_avif() {
  local port=$1 slug="council-approves-a-leaner-budget-after-a-night-of-testimony"
  for _ in $(seq 1 600); do
    curl -sf "http://127.0.0.1:$port/$slug/" | grep -q '/media/demo/story-00-480w.avif' && return 0
    sleep 0.2
  done
  echo "the demo's AVIF copies were not made within two minutes" >&2
  return 1
}
