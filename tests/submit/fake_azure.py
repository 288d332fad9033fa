"""A stand-in for the Azure Resource Manager endpoints azure-ai-ml calls, behind a real azure-core transport.

This is the ONE network seam of the Azure ML tests: `FakeAzureML` is an azure-core HttpTransport
(azure-core's own RequestsTransport, whose requests session has an adapter that answers in-process
instead of opening sockets). Everything above it is the real azure-ai-ml: MLClient, the job and
environment operations, serialisation, code hashing, ARM id resolution. The workspace is a small
in-memory model: environments, code assets, jobs, computes, models; every request is recorded.
"""

from __future__ import annotations

import io
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
import urllib3
from azure.core.credentials import AccessToken, AccessTokenInfo
from azure.core.exceptions import ClientAuthenticationError
from azure.core.pipeline.transport import RequestsTransport
from requests.adapters import BaseAdapter

SUBSCRIPTION = "00000000-0000-4000-8000-000000000001"
RESOURCE_GROUP = "rg-robots"
WORKSPACE = "robots"
WS_ID = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RESOURCE_GROUP}"
    f"/providers/Microsoft.MachineLearningServices/workspaces/{WORKSPACE}"
)
STUDIO = "https://ml.azure.com/runs/{name}?wsid=" + WS_ID
DATA_PLANE = "https://westeurope.api.azureml.ms"
WORKSPACE_FLAGS = (
    "--subscription-id",
    SUBSCRIPTION,
    "--resource-group",
    RESOURCE_GROUP,
    "--workspace-name",
    WORKSPACE,
)


class FakeCredential:
    """A TokenCredential that hands out a token without asking anyone."""

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken("fake-token", int(time.time()) + 3600)

    def get_token_info(self, *scopes: str, options: Any = None) -> AccessTokenInfo:
        return AccessTokenInfo("fake-token", int(time.time()) + 3600)


class RefusingCredential(FakeCredential):
    """What DefaultAzureCredential does on a machine with no sign-in: ClientAuthenticationError."""

    MESSAGE = (
        "DefaultAzureCredential failed to retrieve a token from the included credentials.\n"
        "Attempted credentials:\n\tEnvironmentCredential: EnvironmentCredential authentication unavailable."
    )

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        raise ClientAuthenticationError(self.MESSAGE)

    def get_token_info(self, *scopes: str, options: Any = None) -> AccessTokenInfo:
        raise ClientAuthenticationError(self.MESSAGE)


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any


@dataclass
class Workspace:
    """What the fake workspace holds."""

    environments: dict[tuple[str, str], str] = field(default_factory=dict)  # (name, version) -> image
    computes: set[str] = field(default_factory=lambda: {"gpu-a100"})
    models: dict[str, set[str]] = field(default_factory=dict)  # name -> versions
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    code_hashes: list[str] = field(default_factory=list)  # hashes the SDK asked about
    refuse_with: int | None = None  # answer every call with this status (401/403)
    run_statuses: list[str] = field(
        default_factory=lambda: ["Completed"]
    )  # run history answers, one per poll
    # Job statuses a GET of a job answers, one per GET, the last one kept (--wait polls these); empty: the
    # status the job was created or cancelled with.
    job_statuses: list[str] = field(default_factory=list)
    # Tags a GET of a job adds: what the job's run wrote with MLflow (an evaluation's gate_passed) is in the job's tags.
    job_tags: dict[str, str] = field(default_factory=dict)
    log_text: str = "training: iteration 1 reward 1.0\n"
    # Versions of the anonymous environments Azure ML built from a build context (versioned by content): by
    # default this checkout's, for each job image. A first build uploads the context to blob storage, which is
    # outside this seam.
    built: set[str] = field(default_factory=lambda: checkout_builds())


class FakeAzureML(RequestsTransport):
    """azure-core transport answering the ARM calls azure-ai-ml makes for one workspace."""

    def __init__(self, workspace: Workspace | None = None) -> None:
        self.workspace = workspace or Workspace()
        self.requests: list[Recorded] = []
        session = requests.Session()
        session.mount("https://", _Adapter(self))
        super().__init__(session=session, session_owner=False)

    def calls(self, method: str, pattern: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and re.search(pattern, r.path)]

    def answer(self, method: str, path: str, query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        if self.workspace.refuse_with:
            return self.workspace.refuse_with, _error(
                "AuthorizationFailed", "The client does not have authorization to perform action."
            )
        for route, handler in _ROUTES:
            match = re.fullmatch(WS_ID + route, path) if route else None
            if match and handler[0] == method:
                return handler[1](self.workspace, match, query, body)
        if re.fullmatch(WS_ID, path) and method == "GET":
            return 200, _workspace()
        if path == "/discovery":
            return 200, {
                key: DATA_PLANE for key in ("api", "catalog", "experimentation", "history", "modelmanagement")
            }
        run = re.fullmatch(r"/history/v1\.0" + WS_ID + r"/runs/(?P<name>[^/]+)/details", path)
        if run and method == "GET":
            return _run_details(self.workspace, run["name"])
        if path.startswith("/logs/"):
            return 200, self.workspace.log_text
        return 404, _error("ResourceNotFound", f"nothing at {path}")


class _Adapter(BaseAdapter):
    def __init__(self, fake: FakeAzureML) -> None:
        super().__init__()
        self.fake = fake

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        url = urlsplit(request.url)
        raw = request.body.decode() if isinstance(request.body, bytes) else request.body
        body = json.loads(raw) if raw else None
        query = parse_qs(url.query)
        self.fake.requests.append(Recorded(request.method, url.path, query, body))
        status, payload = self.fake.answer(request.method, url.path, query, body)
        return _response(request, status, payload)

    def close(self) -> None:
        pass


def _response(request: requests.PreparedRequest, status: int, payload: Any) -> requests.Response:
    text = isinstance(payload, str)  # a log file; everything else is JSON
    data = payload.encode() if text else json.dumps(payload).encode()
    headers = {"Content-Type": "text/plain" if text else "application/json", "Content-Length": str(len(data))}
    response = requests.Response()
    response.status_code = status
    response.raw = urllib3.HTTPResponse(
        body=io.BytesIO(data), preload_content=False, status=status, headers=headers
    )
    response.headers.update(headers)
    response.url = request.url
    response.request = request
    response.reason = "OK" if status < 400 else "Error"
    return response


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def _workspace() -> dict[str, Any]:
    return {
        "id": WS_ID,
        "name": WORKSPACE,
        "type": "Microsoft.MachineLearningServices/workspaces",
        "location": "westeurope",
        "properties": {
            "discoveryUrl": "https://westeurope.api.azureml.ms/discovery",
            "workspaceId": "11111111-2222-3333-4444-555555555555",
            "mlFlowTrackingUri": f"azureml://westeurope.api.azureml.ms/mlflow/v1.0{WS_ID}",
        },
    }


def _code_versions(ws: Workspace, match: re.Match, query: dict, body: Any) -> tuple[int, Any]:
    # Every code snapshot "is already uploaded": the SDK reuses the asset and never talks to blob storage.
    ws.code_hashes.extend(query.get("hash", []))
    return 200, {"value": [_code(match["name"], "1")]}


def _code_version(ws: Workspace, match: re.Match, query: dict, body: Any) -> tuple[int, Any]:
    return 200, _code(match["name"], match["version"])


def _code(name: str, version: str) -> dict[str, Any]:
    return {
        "id": f"{WS_ID}/codes/{name}/versions/{version}",
        "name": version,
        "properties": {
            "codeUri": f"https://robots.blob.core.windows.net/code/LocalUpload/{name}/training",
            "isAnonymous": True,
        },
    }


ANONYMOUS = "CliV2AnonymousEnvironment"


def checkout_builds() -> set[str]:
    """The content versions azure-ai-ml gives this checkout's build context, one per job image's Dockerfile."""
    from azure.ai.ml.entities import BuildContext, Environment

    from submit import images, snapshot

    versions = set()
    for name in images.names():
        dockerfile = f"workflows/images/{images.job_image(name).dockerfile.name}"
        versions.add(Environment(build=BuildContext(path=str(snapshot.snapshot_root()), dockerfile_path=dockerfile)).version)
    return versions


def _environment_get(ws: Workspace, match: re.Match, query: dict, body: Any) -> tuple[int, Any]:
    image = ws.environments.get((match["name"], match["version"]))
    if image is None and match["name"] == ANONYMOUS and match["version"] in ws.built:
        image = f"robots.azurecr.io/azureml/azureml_{match['version'][:12]}"
    if image is None:
        return 404, _error("ResourceNotFound", f"environment {match['name']}:{match['version']} not found")
    return 200, _environment(match["name"], match["version"], image)


def _environment_put(ws: Workspace, match: re.Match, query: dict, body: Any) -> tuple[int, Any]:
    properties = body["properties"]
    image = properties.get("image") or f"build:{properties['build']['dockerfilePath']}"  # an environment Azure ML builds
    ws.environments[(match["name"], match["version"])] = image
    return 201, _environment(match["name"], match["version"], image)


def _environment_list(ws: Workspace, match: re.Match, query: dict, body: Any) -> tuple[int, Any]:
    versions = [_environment(n, v, i) for (n, v), i in ws.environments.items() if n == match["name"]]
    return 200, {"value": versions}


def _environment(name: str, version: str, image: str) -> dict[str, Any]:
    return {
        "id": f"{WS_ID}/environments/{name}/versions/{version}",
        "name": version,
        "properties": {"image": image, "isAnonymous": False},
    }


def _compute_get(ws: Workspace, match: re.Match, query: dict, body: Any) -> tuple[int, Any]:
    if match["name"] not in ws.computes:
        return 404, _error("ResourceNotFound", f"compute {match['name']} not found")
    return 200, _compute(match["name"])


def _compute_list(ws: Workspace, match: re.Match, query: dict, body: Any) -> tuple[int, Any]:
    return 200, {"value": [_compute(name) for name in sorted(ws.computes)]}


def _compute(name: str) -> dict[str, Any]:
    return {
        "id": f"{WS_ID}/computes/{name}",
        "name": name,
        "location": "westeurope",
        "properties": {
            "computeType": "AmlCompute",
            "properties": {"vmSize": "Standard_NC24ads_A100_v4", "scaleSettings": {"maxNodeCount": 4}},
        },
    }


def _model_version(ws: Workspace, match: re.Match, query: dict, body: Any) -> tuple[int, Any]:
    if match["version"] not in ws.models.get(match["name"], set()):
        return 404, _error("ResourceNotFound", "model version not found")
    return 200, {
        "id": f"{WS_ID}/models/{match['name']}/versions/{match['version']}",
        "name": match["version"],
        "properties": {
            "modelType": "custom_model",
            "modelUri": f"azureml://jobs/run/outputs/artifacts/{match['name']}",
            "flavors": {},
            "properties": {},
            "tags": {},
        },
    }


def _job_put(ws: Workspace, match: re.Match, query: dict, body: Any) -> tuple[int, Any]:
    job = {**body, "id": f"{WS_ID}/jobs/{match['name']}", "name": match["name"]}
    job["properties"] = {**body["properties"], "status": "Starting", "services": _services(match["name"])}
    ws.jobs[match["name"]] = job
    return 201, job


def _job_get(ws: Workspace, match: re.Match, query: dict, body: Any) -> tuple[int, Any]:
    job = ws.jobs.get(match["name"])
    if job and ws.job_statuses:
        job["properties"]["status"] = ws.job_statuses.pop(0) if len(ws.job_statuses) > 1 else ws.job_statuses[0]
    if job:
        job["properties"]["tags"] = {**(job["properties"].get("tags") or {}), **ws.job_tags}
    return (200, job) if job else (404, _error("UserError", f"job {match['name']} not found"))


def _job_cancel(ws: Workspace, match: re.Match, query: dict, body: Any) -> tuple[int, Any]:
    job = ws.jobs.get(match["name"])
    if not job:
        return 404, _error("UserError", f"job {match['name']} not found")
    job["properties"]["status"] = "CancelRequested"
    return 202, None


def _run_details(ws: Workspace, name: str) -> tuple[int, Any]:
    status = ws.run_statuses.pop(0) if len(ws.run_statuses) > 1 else ws.run_statuses[0]
    details: dict[str, Any] = {"runId": name, "status": status, "warnings": []}
    details["logFiles"] = {"user_logs/std_log.txt": f"{DATA_PLANE}/logs/{name}/std_log.txt"}
    if status == "Failed":
        details["error"] = {"error": {"code": "UserError", "message": "training exited with code 1"}}
    return 200, details


def _services(name: str) -> dict[str, Any]:
    return {"Studio": {"jobServiceType": "Studio", "endpoint": STUDIO.format(name=name)}}


_ROUTES: list[tuple[str, tuple[str, Any]]] = [
    (r"/codes/(?P<name>[^/]+)/versions", ("GET", _code_versions)),
    (r"/codes/(?P<name>[^/]+)/versions/(?P<version>[^/]+)", ("GET", _code_version)),
    (r"/environments/(?P<name>[^/]+)/versions/(?P<version>[^/]+)", ("GET", _environment_get)),
    (r"/environments/(?P<name>[^/]+)/versions/(?P<version>[^/]+)", ("PUT", _environment_put)),
    (r"/environments/(?P<name>[^/]+)/versions", ("GET", _environment_list)),
    (r"/computes/(?P<name>[^/]+)", ("GET", _compute_get)),
    (r"/computes", ("GET", _compute_list)),
    (r"/models/(?P<name>[^/]+)/versions/(?P<version>[^/]+)", ("GET", _model_version)),
    (r"/jobs/(?P<name>[^/]+)", ("PUT", _job_put)),
    (r"/jobs/(?P<name>[^/]+)", ("GET", _job_get)),
    (r"/jobs/(?P<name>[^/]+)/cancel", ("POST", _job_cancel)),
]
