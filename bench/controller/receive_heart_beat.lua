-- wrk script: POST /receive_heart_beat for workers 1..N in turn (N is the first script argument),
-- with changing queue lengths so that the dispatch index is updated on every call.
local n = 10
local i = 0

function init(args)
    n = tonumber(args[1] or "10")
end

function request()
    i = (i % n) + 1
    local body = string.format('{"worker_name": "http://127.0.0.1:%d", "queue_length": %d}',
        30000 + i, i % 4)
    return wrk.format("POST", "/receive_heart_beat", {["Content-Type"] = "application/json"}, body)
end
