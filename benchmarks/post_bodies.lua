-- wrk script: POST one pre-signed body per request, each used once (run with -t1).
local bodies = {}
local next_body = 0
local headers = {["Content-Type"] = "application/x-www-form-urlencoded"}

function init(args)
  for line in io.lines(os.getenv("BODIES")) do
    bodies[#bodies + 1] = line
  end
end

function request()
  next_body = next_body + 1
  local body = bodies[next_body]
  if body == nil then
    error("out of pre-signed bodies: generate more")
  end
  return wrk.format("POST", nil, headers, body)
end
