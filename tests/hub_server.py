"""An in-memory Hugging Face Hub on 127.0.0.1, for tests that push and pull with the real huggingface_hub client.

It speaks the part of the Hub's HTTP API that huggingface_hub 0.36 uses to create a repo
(``/api/repos/create``), commit a folder (``/api/validate-yaml`` for the card, ``preupload``, the LFS batch API
answered with the "basic" transfer, never Xet, then the ndjson ``commit``), and that transformers'
``from_pretrained`` uses to download (``resolve`` with the headers the client reads, ``api/models/...`` info and
``tree``). Binary files (a NUL byte in their first 512 bytes, as tf_model.h5) go through LFS, text files inline,
as on the Hub. Tokens map to users; a wrong token is a 401, writing needs the owner's token, and a private repo
is invisible to others. :meth:`FakeHub.go_away` closes the listening socket (connections are refused) and
:meth:`FakeHub.come_back` opens it again on the same port; :meth:`FakeHub.commits_held` keeps commit requests
waiting, to catch the client in the middle of a push; :meth:`FakeHub.never_answering` accepts every request and never
answers it, as a hung server does.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

GITATTRIBUTES = b"*.h5 filter=lfs diff=lfs merge=lfs -text\n*.safetensors filter=lfs diff=lfs merge=lfs -text\n"


@dataclass
class Commit:
    oid: str
    message: str
    files: dict[str, bytes]
    lfs: set[str]  # the paths stored in LFS

    def file_oid(self, path: str) -> str:
        """What the Hub reports as a file's oid and ETag: its sha256 if in LFS, else its git blob sha1."""
        content = self.files[path]
        if path in self.lfs:
            return hashlib.sha256(content).hexdigest()
        return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


@dataclass
class Repo:
    repo_id: str
    owner: str
    private: bool
    commits: list[Commit] = field(default_factory=list)

    @property
    def head(self) -> Commit:
        return self.commits[-1]

    @property
    def messages(self) -> list[str]:
        return [commit.message for commit in self.commits]

    def revision(self, name: str) -> Commit | None:
        if name == "main":
            return self.head
        return next((commit for commit in self.commits if commit.oid == name), None)


class HubError(Exception):
    def __init__(self, status: int, message: str, code: str | None = None):
        super().__init__(message)
        self.status, self.message, self.code = status, message, code


class FakeHub:
    """``with FakeHub({"hf_token": "user"}) as hub:`` serves at ``hub.url``; ``hub.repos["user/name"]`` holds the
    commits. ``hub.requests`` lists every request as ``"METHOD /path"``."""

    def __init__(self, tokens: dict[str, str]):
        self.tokens = tokens
        self.repos: dict[str, Repo] = {}
        self.lfs_objects: dict[str, bytes] = {}
        self.requests: list[str] = []
        self.commit_arrived = threading.Event()
        self._commits_go = threading.Event()
        self._commits_go.set()
        self._answering = threading.Event()
        self._answering.set()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def serving(self) -> bool:
        return self._server is not None

    def __enter__(self) -> "FakeHub":
        self.come_back()
        return self

    def __exit__(self, *exc) -> None:
        self._commits_go.set()
        self._answering.set()
        self.go_away()

    def come_back(self) -> None:
        """Starts serving (again, on the same port)."""
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), _Handler)
        self._server.daemon_threads = True
        self._server.hub = self
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, name="fake-hub", daemon=True).start()

    def go_away(self) -> None:
        """Stops serving and closes the listening socket: new connections are refused."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @contextmanager
    def commits_held(self):
        """Commit requests wait until the block ends; ``commit_arrived`` is set when one arrives."""
        self.commit_arrived.clear()
        self._commits_go.clear()
        try:
            yield
        finally:
            self._commits_go.set()

    @contextmanager
    def never_answering(self):
        """Inside the block, requests are read and left without an answer; once it ends, their connections are closed
        unanswered (the client gave up on them by then) and new requests are answered again."""
        self._answering.clear()
        try:
            yield
        finally:
            self._answering.set()

    def leaves_unanswered(self) -> bool:
        """Whether a request that has just come is left unanswered (inside :meth:`never_answering`); if so, it
        returns when the block ends."""
        if self._answering.is_set():
            return False
        self._answering.wait()
        return True

    # --- the API ----------------------------------------------------------------------------------------------

    def handle(self, method: str, path: str, query: dict, user: str | None, body: bytes) -> tuple[int, dict, object]:
        """``(status, headers, payload)``: payload is JSON-able, or bytes to send as they are."""
        self.requests.append(f"{method} {path}")
        for route_method, pattern, action in _ROUTES:
            match = re.fullmatch(pattern, path)
            if match and method in route_method.split("|"):
                return action(self, match, query, user, body)
        raise HubError(404, f"no route for {method} {path}")

    def _create_repo(self, match, query, user, body):
        request = json.loads(body)
        owner = self._writer(user, request.get("organization") or user)
        repo_id = f"{owner}/{request['name']}"
        with self._lock:
            if repo_id in self.repos:
                return 409, {}, {"error": "You already created this model repo", "url": f"{self.url}/{repo_id}"}
            repo = Repo(repo_id, owner, bool(request.get("private")))
            repo.commits.append(_commit(None, "initial commit", {".gitattributes": GITATTRIBUTES}, set()))
            self.repos[repo_id] = repo
        return 200, {}, {"url": f"{self.url}/{repo_id}", "name": repo_id}

    def _validate_yaml(self, match, query, user, body):
        return 200, {}, {"errors": [], "warnings": []}

    def _preupload(self, match, query, user, body):
        head = self._revision(self._writable_repo(match["repo"], user), match["rev"])
        files = []
        for item in json.loads(body)["files"]:
            binary = b"\0" in base64.b64decode(item["sample"])
            path = item["path"]
            files.append({"path": path, "uploadMode": "lfs" if binary else "regular", "shouldIgnore": False,
                          "oid": head.file_oid(path) if path in head.files else None})
        return 200, {}, {"files": files, "commitOid": head.oid}

    def _lfs_batch(self, match, query, user, body):
        self._writable_repo(match["repo"], user)
        request = json.loads(body)
        objects = []
        for item in request["objects"]:
            answer = {"oid": item["oid"], "size": item["size"], "authenticated": True}
            if item["oid"] not in self.lfs_objects:
                answer["actions"] = {"upload": {"href": f"{self.url}/lfs/{item['oid']}"},
                                     "verify": {"href": f"{self.url}/lfs/{item['oid']}/verify"}}
            objects.append(answer)
        return 200, {"Content-Type": "application/vnd.git-lfs+json"}, {"transfer": "basic", "objects": objects}

    def _lfs_upload(self, match, query, user, body):
        if hashlib.sha256(body).hexdigest() != match["oid"]:
            raise HubError(400, "content does not match its sha256")
        self.lfs_objects[match["oid"]] = body
        return 200, {}, b""

    def _lfs_verify(self, match, query, user, body):
        if match["oid"] not in self.lfs_objects:
            raise HubError(404, "object not uploaded")
        return 200, {}, {}

    def _commit(self, match, query, user, body):
        repo = self._writable_repo(match["repo"], user)
        self.commit_arrived.set()
        self._commits_go.wait()
        lines = [json.loads(line) for line in body.splitlines() if line.strip()]
        header = lines[0]["value"]
        with self._lock:
            files, lfs = dict(repo.head.files), set(repo.head.lfs)
            for line in lines[1:]:
                value = line["value"]
                if line["key"] == "file":
                    files[value["path"]] = base64.b64decode(value["content"])
                    lfs.discard(value["path"])
                elif line["key"] == "lfsFile":
                    if value["oid"] not in self.lfs_objects:
                        raise HubError(400, f"LFS object of {value['path']} was never uploaded")
                    files[value["path"]] = self.lfs_objects[value["oid"]]
                    lfs.add(value["path"])
                elif line["key"] == "deletedFile":
                    files.pop(value["path"], None)
                else:
                    raise HubError(400, f"unsupported commit operation {line['key']}")
            commit = _commit(repo.head.oid, header["summary"], files, lfs)
            repo.commits.append(commit)
        return 200, {}, {"commitUrl": f"{self.url}/{repo.repo_id}/commit/{commit.oid}", "commitOid": commit.oid,
                         "pullRequestUrl": None}

    def _model_info(self, match, query, user, body):
        repo = self._readable_repo(match["repo"], user)
        commit = self._revision(repo, match["rev"] or "main")
        return 200, {}, {"id": repo.repo_id, "modelId": repo.repo_id, "sha": commit.oid, "private": repo.private,
                         "tags": [], "siblings": [{"rfilename": path} for path in sorted(commit.files)]}

    def _tree(self, match, query, user, body):
        repo = self._readable_repo(match["repo"], user)
        commit = self._revision(repo, match["rev"])
        prefix = f"{match['path']}/" if match["path"] else ""
        recursive = query.get("recursive", ["False"])[0].lower() == "true"
        entries, folders = [], set()
        for path in sorted(p for p in commit.files if p.startswith(prefix)):
            rest = path[len(prefix):]
            if "/" in rest and not recursive:
                folders.add(prefix + rest.split("/")[0])
                continue
            entry = {"type": "file", "path": path, "size": len(commit.files[path]), "oid": commit.file_oid(path)}
            if path in commit.lfs:
                entry["lfs"] = {"oid": commit.file_oid(path), "size": len(commit.files[path]), "pointerSize": 134}
            entries.append(entry)
        if prefix and not entries and not folders:
            raise HubError(404, f"{match['path']} does not exist", "EntryNotFound")
        folder_entries = [{"type": "directory", "path": folder, "oid": commit.oid} for folder in sorted(folders)]
        return 200, {}, folder_entries + entries

    def _resolve(self, match, query, user, body):
        repo = self._readable_repo(match["repo"], user)
        commit = self._revision(repo, match["rev"])
        path = match["path"]
        if path not in commit.files:
            raise HubError(404, f"{path} does not exist", "EntryNotFound")
        headers = {"X-Repo-Commit": commit.oid, "ETag": f'"{commit.file_oid(path)}"',
                   "Content-Type": "application/octet-stream"}
        return 200, headers, commit.files[path]

    # --- access -----------------------------------------------------------------------------------------------

    def _writer(self, user: str | None, owner: str) -> str:
        if user is None:
            raise HubError(401, "You must be authenticated to write")
        if user != owner:
            raise HubError(403, f"You don't have the rights to write to {owner}")
        return owner

    def _repo(self, repo_id: str) -> Repo:
        if repo_id not in self.repos:
            raise HubError(404, "Repository not found", "RepoNotFound")
        return self.repos[repo_id]

    def _readable_repo(self, repo_id: str, user: str | None) -> Repo:
        repo = self._repo(repo_id)
        if repo.private and user != repo.owner:
            raise HubError(404, "Repository not found", "RepoNotFound")
        return repo

    def _writable_repo(self, repo_id: str, user: str | None) -> Repo:
        repo = self._readable_repo(repo_id, user)
        self._writer(user, repo.owner)
        return repo

    def _revision(self, repo: Repo, name: str) -> Commit:
        commit = repo.revision(name)
        if commit is None:
            raise HubError(404, f"Invalid rev id: {name}", "RevisionNotFound")
        return commit


def _commit(parent: str | None, message: str, files: dict[str, bytes], lfs: set[str]) -> Commit:
    digest = hashlib.sha1(f"{parent}\n{message}".encode())
    for path in sorted(files):
        digest.update(path.encode() + b"\0" + hashlib.sha256(files[path]).digest())
    return Commit(digest.hexdigest(), message, files, lfs)


_REPO = r"(?P<repo>[^/]+/[^/]+)"
_ROUTES = [
    ("POST", r"/api/repos/create", FakeHub._create_repo),
    ("POST", r"/api/validate-yaml", FakeHub._validate_yaml),
    ("POST", rf"/api/models/{_REPO}/preupload/(?P<rev>[^/]+)", FakeHub._preupload),
    ("POST", rf"/api/models/{_REPO}/commit/(?P<rev>[^/]+)", FakeHub._commit),
    ("GET", rf"/api/models/{_REPO}(?:/revision/(?P<rev>[^/]+))?", FakeHub._model_info),
    ("GET", rf"/api/models/{_REPO}/tree/(?P<rev>[^/]+)(?:/(?P<path>.+))?", FakeHub._tree),
    ("POST", rf"/{_REPO}\.git/info/lfs/objects/batch", FakeHub._lfs_batch),
    ("PUT", r"/lfs/(?P<oid>[0-9a-f]{64})", FakeHub._lfs_upload),
    ("POST", r"/lfs/(?P<oid>[0-9a-f]{64})/verify", FakeHub._lfs_verify),
    ("GET|HEAD", rf"/{_REPO}/resolve/(?P<rev>[^/]+)/(?P<path>.+)", FakeHub._resolve),
]


class _Handler(BaseHTTPRequestHandler):
    """One request, answered and closed (HTTP/1.0): a hub that goes away leaves no kept-alive connection."""

    def do_GET(self):
        self._answer()

    do_HEAD = do_POST = do_PUT = do_GET

    def _answer(self):
        hub: FakeHub = self.server.hub
        url = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if hub.leaves_unanswered():
            return
        try:
            status, headers, payload = hub.handle(self.command, unquote(url.path), parse_qs(url.query),
                                                  self._user(hub), body)
        except HubError as error:
            status, payload = error.status, {"error": error.message}
            headers = {"X-Error-Message": error.message, **({"X-Error-Code": error.code} if error.code else {})}
        content = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        headers.setdefault("Content-Type", "application/json")
        for name, value in {**headers, "Content-Length": str(len(content))}.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(content)

    def _user(self, hub: FakeHub) -> str | None:
        authorization = self.headers.get("Authorization", "")
        if not authorization.startswith("Bearer "):
            return None
        user = hub.tokens.get(authorization.removeprefix("Bearer "))
        if user is None:
            raise HubError(401, "Invalid credentials in Authorization header")
        return user

    def log_message(self, format, *args):  # the test output is not the place for an access log
        pass


def use_hub(monkeypatch, url: str) -> None:
    """Points huggingface_hub and transformers at the hub at ``url``, online (the tests' conftest sets
    HF_HUB_OFFLINE=1). Both read HF_ENDPOINT and HF_HUB_OFFLINE when imported, into constants that must be
    patched too; huggingface_hub also keeps one HTTP session per thread, made for the old settings."""
    import transformers.utils.hub as transformers_hub
    from huggingface_hub import constants, file_download
    from huggingface_hub.utils import reset_sessions

    template = url + "/{repo_id}/resolve/{revision}/{filename}"
    monkeypatch.setenv("HF_ENDPOINT", url)
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setattr(constants, "ENDPOINT", url)
    monkeypatch.setattr(constants, "HUGGINGFACE_CO_URL_TEMPLATE", template)
    monkeypatch.setattr(file_download, "HUGGINGFACE_CO_URL_TEMPLATE", template)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(transformers_hub, "_is_offline_mode", False)
    monkeypatch.setattr(transformers_hub, "HUGGINGFACE_CO_RESOLVE_ENDPOINT", url)
    reset_sessions()
