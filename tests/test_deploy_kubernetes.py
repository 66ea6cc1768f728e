"""deploy/kubernetes: every manifest is valid against the Kubernetes API's schemas, and what the
pod is told agrees with the image and the settings: ports, the probe path, the user, the
environment variables and the roster."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from bot.config import Settings, parse_roster
from tests.support.dockerfile import dockerfile_instructions

ROOT = Path(__file__).parent.parent
KUBERNETES = ROOT / "deploy" / "kubernetes"
# The oldest Kubernetes release still commonly run, and the newest the schemas know.
VERSIONS = ("1.30.0", kubernetes_validate.latest_version())
# Environment the image sets for the libraries it carries, not Respite's own settings.
IMAGE_ONLY = {"MPLCONFIGDIR"}
ANY_ADDRESS = "0.0.0.0"  # noqa: S104 - what the pod's listeners must bind, checked
CREDENTIALS = re.compile(r"(_SECRET|_TOKEN|_PASSWORD|_KEY|^DATABASE_URL|^MICROSOFT_APP_ID)$")


def _documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d is not None]


def _kustomization() -> dict[str, Any]:
    [doc] = _documents(KUBERNETES / "kustomization.yaml")
    return doc


def _resources() -> dict[str, dict[str, Any]]:
    """Applied resources by kind/name."""
    out = {}
    for name in _kustomization()["resources"]:
        for doc in _documents(KUBERNETES / name):
            out[f"{doc['kind']}/{doc['metadata']['name']}"] = doc
    return out


def _container() -> dict[str, Any]:
    [container] = _resources()["Deployment/respite"]["spec"]["template"]["spec"]["containers"]
    return container


def _dockerfile() -> dict[str, str]:
    """The runtime stage's ENV, USER and EXPOSE, as NAME -> value."""
    out: dict[str, str] = {}
    stages = [i for i, (word, _) in enumerate(dockerfile_instructions()) if word == "FROM"]
    for word, rest in dockerfile_instructions()[stages[-1] :]:
        if word == "ENV":
            out.update(re.findall(r"(\w+)=(\S+)", rest))
        elif word in ("USER", "EXPOSE"):
            out[word] = rest.strip()
    return out


def test_the_kustomization_lists_every_manifest_but_the_example_secret() -> None:
    kustomization = _kustomization()
    assert kustomization["kind"] == "Kustomization"
    files = {p.name for p in KUBERNETES.glob("*.yaml")}
    assert set(kustomization["resources"]) == files - {"kustomization.yaml", "secret.example.yaml"}
    assert [i["name"] for i in kustomization["images"]] == [_container()["image"]]


@pytest.mark.parametrize("version", VERSIONS)
def test_every_manifest_is_valid_against_the_kubernetes_schemas(version: str) -> None:
    documents = [
        doc
        for path in sorted(KUBERNETES.glob("*.yaml"))
        if path.name != "kustomization.yaml"
        for doc in _documents(path)
    ]
    assert len(documents) >= 6
    for doc in documents:
        # Strict: a misspelt or misplaced field fails too, not only a wrong type.
        kubernetes_validate.validate(doc, version, strict=True)


def test_ports_and_probes_match_the_image_and_the_settings() -> None:
    container = _container()
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    env = {e["name"]: e.get("value") for e in container["env"]}
    image = _dockerfile()
    assert ports["http"] == int(env["PORT"]) == int(image["PORT"]) == int(image["EXPOSE"])
    assert ports["http"] == Settings.model_fields["port"].default
    assert ports["metrics"] == int(env["METRICS_PORT"])
    assert ports["metrics"] == Settings.model_fields["metrics_port"].default
    # Metrics listen beyond loopback inside the pod, for their own Service only.
    assert env["METRICS_HOST"] == env["HOST"] == ANY_ADDRESS
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": "/healthz", "port": "http"}, probe
        # Longer than /healthz's own database check (2 s), which answers 503 first.
        assert container[probe]["timeoutSeconds"] >= 3, probe

    resources = _resources()
    public = resources["Service/respite"]["spec"]
    metrics = resources["Service/respite-metrics"]
    assert [p["targetPort"] for p in public["ports"]] == ["http"]
    assert [p["targetPort"] for p in metrics["spec"]["ports"]] == ["metrics"]
    assert metrics["metadata"]["annotations"]["prometheus.io/port"] == str(ports["metrics"])
    labels = resources["Deployment/respite"]["spec"]["template"]["metadata"]["labels"]
    for service in (public, metrics["spec"]):
        assert service["selector"].items() <= labels.items()


def test_the_pod_runs_as_the_images_user_on_a_read_only_root() -> None:
    deployment = _resources()["Deployment/respite"]
    pod = deployment["spec"]["template"]["spec"]
    uid, gid = (int(n) for n in _dockerfile()["USER"].split(":"))
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert (pod["securityContext"]["runAsUser"], pod["securityContext"]["runAsGroup"]) == (uid, gid)
    assert uid != 0
    context = _container()["securityContext"]
    assert context["readOnlyRootFilesystem"] is True
    assert context["allowPrivilegeEscalation"] is False
    assert context["capabilities"]["drop"] == ["ALL"]
    # What is written at run time goes to a mounted emptyDir, not the read-only image.
    env = {e["name"]: e.get("value") for e in _container()["env"]}
    writable = {
        m["mountPath"] for m in _container()["volumeMounts"] if not m.get("readOnly", False)
    }
    assert any(env["MPLCONFIGDIR"].startswith(path + "/") for path in writable)
    assert deployment["spec"]["replicas"] >= 2


def test_every_variable_is_a_setting_and_every_credential_comes_from_the_secret() -> None:
    settings = {name.upper() for name in Settings.model_fields}
    env = _container()["env"]
    names = [e["name"] for e in env]
    assert len(names) == len(set(names))
    for entry in env:
        name = entry["name"]
        assert name in settings | IMAGE_ONLY, f"{name} is not a setting"
        if CREDENTIALS.search(name):
            ref = entry["valueFrom"]["secretKeyRef"]
            assert "value" not in entry and ref == {**ref, "name": "respite", "key": name}, name
    assert {"DATABASE_URL", "RESPITE_SECRET", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"} <= set(
        names
    )
    assert {"MICROSOFT_APP_ID", "MICROSOFT_APP_PASSWORD", "MICROSOFT_APP_TENANT_ID"} <= set(names)
    # The Secret's example names exactly the keys the pod may read.
    [secret] = _documents(KUBERNETES / "secret.example.yaml")
    example_keys = set(secret["stringData"]) | set(
        re.findall(r"#\s*(\w+):", (KUBERNETES / "secret.example.yaml").read_text())
    )
    referenced = {e["name"] for e in env if "valueFrom" in e}
    assert example_keys == referenced

    # The plain values are valid settings (with the Secret's example values for the rest).
    plain = {e["name"].lower(): e["value"] for e in env if "value" in e}
    plain.pop("mplconfigdir")
    configured = Settings(**plain, database_url=secret["stringData"]["DATABASE_URL"])
    assert configured.log_format == "json"
    assert configured.database_url.startswith("postgresql://")


def test_the_roster_configmap_is_a_valid_roster_where_respite_config_points() -> None:
    resources = _resources()
    container = _container()
    config = Path(next(e["value"] for e in container["env"] if e["name"] == "RESPITE_CONFIG"))
    [mount] = [m for m in container["volumeMounts"] if Path(m["mountPath"]) == config.parent]
    assert mount["readOnly"] is True
    pod = resources["Deployment/respite"]["spec"]["template"]["spec"]
    [volume] = [v for v in pod["volumes"] if v["name"] == mount["name"]]
    configmap = resources[f"ConfigMap/{volume['configMap']['name']}"]
    roster = parse_roster(yaml.safe_load(configmap["data"][config.name]))
    assert roster.team_list
