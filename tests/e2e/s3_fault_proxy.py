"""A front for an S3 server that misbehaves on request, for tests/e2e/test_s3_model_dir.py: it
forwards each request unchanged (the Host header too, which the signature covers) and, as the
rules file says at that moment, answers 503 SlowDown to the first N tries of each PUT, 403 AccessDenied
to PUTs whose path holds a given text, a web page for everything (html), a cut-off listing
(list_garbage), a truncated one without a token (list_notoken) or empty pages without end
(list_endless), or holds PUTs of checkpoints for a while before forwarding them. Killing it and starting it again on the
same port is, from the client's side, the server restarting (moto keeps its buckets in memory, so
restarting moto itself would be a new, empty server).

  python3 s3_fault_proxy.py PORT UPSTREAM_PORT RULES_JSON LOG
"""
import http.client
import http.server
import json
import sys
import threading
import time

PORT, UPSTREAM, RULES, LOG = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
tries = {}
lock = threading.Lock()


def rules():
    try:
        with open(RULES) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def log(line):
    with lock, open(LOG, "a") as f:
        f.write(line + "\n")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def forward(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        now = rules()
        lie = None
        if now.get("html"):  # a captive portal or a web server at the endpoint: 200 and a page
            lie = (200, "text/html", b"<html><body>Welcome to the hotel network</body></html>")
        elif now.get("list_garbage") and "list-type=2" in self.path:
            lie = (200, "application/xml", b"<ListBucketResult><Contents><Key>aa")
        elif now.get("list_notoken") and "list-type=2" in self.path:  # cut short, no way on
            lie = (200, "application/xml", b"<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>")
        elif now.get("list_endless") and "list-type=2" in self.path:  # empty pages, a new token each
            with lock:
                tries["list"] = tries.get("list", 0) + 1
                page = tries["list"]
            lie = (200, "application/xml", b"<ListBucketResult><IsTruncated>true</IsTruncated><NextContinuationToken>t%d"
                   b"</NextContinuationToken></ListBucketResult>" % page)
        if lie:
            log(f"lie {self.command} {self.path}")
            self.send_response(lie[0])
            self.send_header("Content-Type", lie[1])
            self.send_header("Content-Length", str(len(lie[2])))
            self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(lie[2])
            return
        if self.command == "PUT":
            with lock:
                tries[self.path] = tries.get(self.path, 0) + 1
                attempt = tries[self.path]
            denied = now.get("put_denied") and now["put_denied"] in self.path
            if attempt <= now.get("put_503_first", 0) or denied:
                status = 403 if denied else 503
                log(f"{status} {self.command} {self.path}")
                xml = (b"<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>" if denied else
                       b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>")
                self.send_response(status)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(xml)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(xml)
                return
            if "/checkpoints/" in self.path and now.get("checkpoint_put_delay_s"):
                log(f"hold {self.command} {self.path}")
                time.sleep(now["checkpoint_put_delay_s"])
        upstream = http.client.HTTPConnection("127.0.0.1", UPSTREAM, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "content-length")}
        upstream.request(self.command, self.path, body=body if body or self.command == "PUT" else None,
                         headers=headers)
        answer = upstream.getresponse()
        data = answer.read()
        log(f"{answer.status} {self.command} {self.path}")
        self.send_response(answer.status)
        for k, v in answer.getheaders():
            if k.lower() not in ("transfer-encoding", "connection", "content-length", "date", "server"):
                self.send_header(k, v)
        # A HEAD's Content-Length is the object's size, not this (empty) body's.
        length = answer.getheader("Content-Length") if self.command == "HEAD" else str(len(data))
        self.send_header("Content-Length", length or "0")
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_PUT = do_HEAD = do_DELETE = do_POST = forward


class Server(http.server.ThreadingHTTPServer):
    allow_reuse_address = True
    daemon_threads = True


Server(("127.0.0.1", PORT), Handler).serve_forever()
