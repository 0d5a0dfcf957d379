"""Local servers for the download tests: an HTTPS server (certificate from a CA made here, for the
host names localhost and trainer-test.example) that serves Debian's Fashion-MNIST files and
misbehaves on request, a plain HTTP server, and a proxy (CONNECT, and absolute-form GET for http). Every request is counted.

URL paths are /<mode>/<dataset>/<file>; the mode says how to answer:
  data        the file, with Content-Length          chunked   the file, chunked
  wrong       a valid gzip with other content         missing   404
  truncated   announces the full length, sends half, closes
  cut         chunked, closes inside a chunk          slow      sleeps 3 s before answering
  hopN        redirects to hop(N-1), hop0 to data     loop      redirects to loopback, and back
  downgrade   redirects to the plain HTTP server      flaky     503 on the first request per path
  huge        announces 100 MB                        endless   chunked, 3 MB more than the file
  hostile     503 with a reason phrase of invalid UTF-8, an ESC sequence and a BEL
  continue    100 Continue twenty times a second (at most 200)
  trickle     the status line and headers, a byte every 0.3 s (at most 60 bytes)
  drip        good headers, then the body a byte every 0.3 s (at most 60 bytes)
"""
import gzip
import http.server
import os
import select
import socket
import socketserver
import ssl
import subprocess
import threading
import time


def make_ca(directory, name, hosts=("localhost", "trainer-test.example")):
    """A CA and a server certificate it signed; returns (ca.pem, server.pem, server.key)."""
    os.makedirs(directory, exist_ok=True)
    ca_key, ca_pem = os.path.join(directory, "ca.key"), os.path.join(directory, "ca.pem")
    key, csr, pem = (os.path.join(directory, f) for f in ("server.key", "server.csr", "server.pem"))
    ext = os.path.join(directory, "ext.cnf")
    quiet = dict(check=True, capture_output=True)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key,
                    "-out", ca_pem, "-days", "2", "-subj", f"/CN={name}",
                    "-addext", "basicConstraints=critical,CA:TRUE",
                    "-addext", "keyUsage=critical,keyCertSign,cRLSign"], **quiet)
    subprocess.run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr,
                    "-subj", f"/CN={hosts[0]}"], **quiet)
    with open(ext, "w") as f:
        f.write("subjectAltName=" + ",".join(f"DNS:{h}" for h in hosts) + "\n"
                "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=serverAuth\n")
    subprocess.run(["openssl", "x509", "-req", "-in", csr, "-CA", ca_pem, "-CAkey", ca_key,
                    "-CAcreateserial", "-out", pem, "-days", "2", "-extfile", ext], **quiet)
    return ca_pem, pem, key


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        fixture = self.server.fixture
        fixture.count(self.path)
        parts = self.path.strip("/").split("/")
        if len(parts) != 3:
            return self._status(400)
        mode, dataset, name = parts
        path_rest = f"/{dataset}/{name}"
        if mode.startswith("hop"):
            hops = int(mode[3:])
            return self._redirect(f"/hop{hops - 1}{path_rest}" if hops > 0 else f"/data{path_rest}")
        if mode == "loop":
            return self._redirect(f"/loopback{path_rest}")
        if mode == "loopback":
            return self._redirect(f"https://localhost:{fixture.https_port}/loop{path_rest}")
        if mode in ("continue", "trickle", "drip"):
            return self._slowly(mode, fixture.file(dataset, name) if mode == "drip" else b"")
        if mode == "hostile":
            self.wfile.write(b"HTTP/1.1 503 \xff\xfe\x1b[31mred\x07\r\nContent-Length: 0\r\n\r\n")
            return
        if mode == "downgrade":
            return self._redirect(f"http://localhost:{fixture.http_port}/data{path_rest}")
        if mode == "missing":
            return self._status(404)
        if mode == "flaky" and fixture.counts[self.path] == 1:
            return self._status(503)
        body = fixture.file(dataset, name)
        if body is None:
            return self._status(404)
        if mode == "slow":
            time.sleep(3)
        if mode == "huge":
            self.send_response(200)
            self.send_header("Content-Length", "100000000")
            self.end_headers()
            self.wfile.write(body[:65536])
            self.close_connection = True
            return
        if mode == "endless":
            body = body + bytes(3 << 20)
        if mode == "bigheader":  # one header line of 20 kB, beyond any sane server's
            self.send_response(200)
            self.send_header("X-Padding", "x" * 20000)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if mode == "shortlength":  # announces half the file, sends all of it
            self.send_response(200)
            self.send_header("Content-Length", str(len(body) // 2))
            self.end_headers()
            self.wfile.write(body)
            self.close_connection = True
            return
        if mode == "wrong":
            body = gzip.compress(b"this is not the dataset\n" * 1000, mtime=0)
        if mode in ("chunked", "cut", "endless"):
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            limit = len(body) // 3 if mode == "cut" else len(body)
            for start in range(0, limit, 65536):
                piece = body[start:start + 65536]
                self.wfile.write(b"%x;ext=1\r\n%s\r\n" % (len(piece), piece))
            if mode == "cut":
                self.wfile.write(b"10000\r\n" + body[:100])
                self.close_connection = True
                return
            self.wfile.write(b"0\r\nX-Trailer: yes\r\n\r\n")
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Type", "application/gzip")
        self.end_headers()
        if mode == "truncated":
            self.wfile.write(body[:len(body) // 2])
            self.close_connection = True
            return
        self.wfile.write(body)

    def _slowly(self, mode, body):
        """Answers that never quite finish; each stops by itself, or when the client has gone."""
        try:
            if mode == "continue":
                for _ in range(200):
                    self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                    self.wfile.flush()
                    time.sleep(0.05)
            elif mode == "trickle":
                for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\nX-Padding: " + b"x" * 30:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(0.3)
            else:
                self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body))
                for byte in body[:60]:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(0.3)
        except OSError:
            pass
        self.close_connection = True

    def _status(self, code):
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _redirect(self, location):
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fixture, context):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fixture = fixture
        self.context = context

    def get_request(self):
        sock, address = super().get_request()
        if self.context:
            # The handshake happens in the handler's thread, so a slow client blocks no one.
            sock = self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address

    def handle_error(self, request, client_address):
        pass  # clients that hang up on purpose (timeouts, refused certificates) are expected


class _ProxyHandler(socketserver.BaseRequestHandler):
    def handle(self):
        head = b""
        while b"\r\n\r\n" not in head:
            data = self.request.recv(4096)
            if not data:
                return
            head += data
        line = head.split(b"\r\n")[0].decode()
        method, target, _ = line.split(" ")
        self.server.fixture.connects.append(target)
        if method == "CONNECT":
            host, port = target.rsplit(":", 1)
            first = b"HTTP/1.1 200 Connection established\r\n\r\n"
            to_upstream = b""
        elif method == "GET" and target.startswith("http://"):
            # Plain http through a proxy: absolute-form request, forwarded in origin form.
            authority, _, path = target[len("http://"):].partition("/")
            host, port = authority.rsplit(":", 1) if ":" in authority else (authority, "80")
            first = b""
            to_upstream = f"GET /{path} HTTP/1.1\r\n".encode() + head.split(b"\r\n", 1)[1]
        else:
            self.request.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            return
        try:
            upstream = socket.create_connection((host, int(port)), timeout=10)
        except OSError:
            self.request.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            return
        self.request.sendall(first)
        upstream.sendall(to_upstream)
        ends = [self.request, upstream]
        try:
            while True:
                readable, _, _ = select.select(ends, [], [], 30)
                if not readable:
                    return
                for end in readable:
                    data = end.recv(65536)
                    if not data:
                        return
                    (upstream if end is self.request else self.request).sendall(data)
        finally:
            upstream.close()


class _ProxyServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class Fixture:
    def __init__(self, workdir, data_dir):
        self.data_dir = data_dir
        self.ca_pem, cert, key = make_ca(os.path.join(workdir, "ca"), "trainer test CA")
        self.other_ca_pem, _, _ = make_ca(os.path.join(workdir, "other-ca"), "some other CA")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.lock = threading.Lock()
        self.counts = {}
        self.connects = []
        self._files = {}
        self.https = _Server(self, context)
        self.http = _Server(self, None)
        self.proxy = _ProxyServer(("127.0.0.1", 0), _ProxyHandler)
        self.proxy.fixture = self
        self.https_port = self.https.server_address[1]
        self.http_port = self.http.server_address[1]
        self.proxy_port = self.proxy.server_address[1]
        for server in (self.https, self.http, self.proxy):
            threading.Thread(target=server.serve_forever, daemon=True).start()

    def file(self, dataset, name):
        with self.lock:
            if (dataset, name) not in self._files:
                path = os.path.join(self.data_dir, dataset, name)
                self._files[(dataset, name)] = open(path, "rb").read() if os.path.isfile(path) else None
            return self._files[(dataset, name)]

    def count(self, path):
        with self.lock:
            self.counts[path] = self.counts.get(path, 0) + 1

    def total_requests(self):
        with self.lock:
            return sum(self.counts.values())

    def url(self, mode, host="localhost"):
        return f"https://{host}:{self.https_port}/{mode}/"

    def http_url(self, mode):
        return f"http://localhost:{self.http_port}/{mode}/"

    def dead_url(self):
        """An https URL on a port where nothing listens."""
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        return f"https://localhost:{port}/data/"

    def close(self):
        for server in (self.https, self.http, self.proxy):
            server.shutdown()
