-- wrk script: POST /get_worker_address as FastChat's openai_api_server sends it.
wrk.method = "POST"
wrk.path = "/get_worker_address"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model": "bench-model"}'
