"""The Helm chart (deploy/helm/rtw) as `helm template` renders it, with Helm's own Go engine
(PyPI `helm-python-sdk`, Helm v4's SDK as a native library: no binary download, no cluster), each
manifest checked against the Kubernetes API schemas (PyPI `kubernetes-validate`, schemas bundled),
then what an operator relies on: restricted pod security, probes, migrations before the pods,
disruption budgets, autoscalers, network policies, TLS, and secrets only by reference."""

from __future__ import annotations

import copy
import os
import re
import secrets
from pathlib import Path
from typing import Any

import pytest
import yaml
from rtw_contracts.registry import EVENTS
from rtw_platform.broker_users import publish_bindings
from rtw_platform.registry import installed_services
from rtw_platform.teams import TEAM_QUEUE_LIMITS

pytestmark = pytest.mark.contracts

CHART = Path(__file__).resolve().parents[2] / "deploy" / "helm" / "rtw"
PRODUCTION = CHART / "values-production.example.yaml"
KUBERNETES = "1.30.0"  # the oldest Kubernetes the chart is checked against (Chart.yaml says >=1.27)
SERVICES = sorted(installed_services())


class _UniqueKeyLoader(yaml.SafeLoader):
    """Refuses a mapping with the same key twice (the API server would keep only one)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        keys = [self.construct_object(key, deep=deep) for key, _ in node.value]
        duplicated = {key for key in keys if keys.count(key) > 1}
        assert not duplicated, f"duplicated keys {duplicated} at {node.start_mark}"
        return super().construct_mapping(node, deep=deep)


def production_values() -> dict[str, Any]:
    values: dict[str, Any] = yaml.safe_load(PRODUCTION.read_text())
    return values


def render(values: dict[str, Any], *, upgrade: bool = False) -> list[dict[str, Any]]:
    import helm_python

    chart = helm_python.Chart.load(CHART)
    chart.validate_schema(values)
    manifests = chart.render(
        values,
        name="rtw",
        namespace="rtw",
        revision=2 if upgrade else 1,
        is_install=not upgrade,
        is_upgrade=upgrade,
    )
    documents = []
    for path, text in manifests.items():
        if path.endswith("NOTES.txt"):  # shown after install, never applied (as `helm template`)
            continue
        documents += [d for d in yaml.load_all(text, Loader=_UniqueKeyLoader) if d]
    return documents


def render_error(values: dict[str, Any]) -> str:
    import helm_python

    with pytest.raises(helm_python.HelmError) as raised:
        render(values)
    return str(raised.value)


@pytest.fixture(scope="module")
def documents() -> list[dict[str, Any]]:
    return render(production_values())


def of_kind(documents: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in documents if d["kind"] == kind}


def pod_specs(documents: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        f"{d['kind']}/{d['metadata']['name']}": d["spec"]["template"]["spec"]
        for d in documents
        if d["kind"] in {"Deployment", "Job", "StatefulSet", "DaemonSet"}
    }


def matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


def test_helm_lints_the_chart_and_every_manifest_is_valid_for_the_kubernetes_api(
    documents: list[dict[str, Any]],
) -> None:
    import helm_python
    import kubernetes_validate

    report = helm_python.lint(CHART, production_values(), strict=True, namespace="rtw")
    assert report["errors"] == [], report
    assert [m for m in report["messages"] if m["severity"] >= 2] == [], report
    kinds = {d["kind"] for d in documents}
    assert kinds >= {"Deployment", "Service", "Job", "PodDisruptionBudget", "HorizontalPodAutoscaler"}
    assert kinds >= {"NetworkPolicy", "Ingress"}
    for document in documents + render(production_values(), upgrade=True):
        if not document["apiVersion"].startswith("rabbitmq.com/"):  # the operator's own kinds: below
            kubernetes_validate.validate(document, KUBERNETES, strict=True)


def test_every_pod_meets_the_restricted_pod_security_standard(documents: list[dict[str, Any]]) -> None:
    pods = pod_specs(documents)
    assert len(pods) == 2 * len(SERVICES)  # a Deployment and a migration Job each
    for name, pod in pods.items():
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
        assert pod["automountServiceAccountToken"] is False, name
        for forbidden in ("hostNetwork", "hostPID", "hostIPC"):
            assert not pod.get(forbidden), name
        volumes = {v["name"]: v for v in pod["volumes"]}
        assert all(
            set(v) <= {"name", "emptyDir", "secret", "configMap", "projected"} for v in volumes.values()
        )
        for container in pod.get("initContainers", []) + pod["containers"]:
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["capabilities"]["drop"] == ["ALL"], name
            assert set(context["capabilities"].get("add", [])) <= {"NET_BIND_SERVICE"}, name
            assert context.get("privileged", False) is False, name
            assert context["readOnlyRootFilesystem"] is True, name
            assert context.get("runAsUser", pod["securityContext"].get("runAsUser")) != 0, name
            mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
            assert "emptyDir" in volumes[mounts["/tmp"]], f"{name}: /tmp is writable scratch space"


def test_each_service_runs_its_image_behind_probes_that_keep_pages_up_without_the_broker(
    documents: list[dict[str, Any]],
) -> None:
    deployments = of_kind(documents, "Deployment")
    assert set(deployments) == {f"rtw-{name}" for name in SERVICES}
    for name in SERVICES:
        spec = deployments[f"rtw-{name}"]["spec"]
        assert spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
        container = spec["template"]["spec"]["containers"][0]
        assert container["args"] == ["serve", name]
        assert re.fullmatch(r"ghcr\.io/[\w.-]+/rtw(:[\w.-]+|@sha256:[0-9a-f]{64})", container["image"])
        assert not container["image"].endswith(":latest")
        assert container["livenessProbe"]["httpGet"]["path"] == "/health/live"
        assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
        assert container["startupProbe"]["httpGet"]["path"] in {"/health/ready", "/health/live"}
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            # A broker outage must not take the pods out of their Service (pages work, events
            # wait in the outbox): /health/consuming is for alerting, never a probe.
            assert container[probe]["httpGet"]["path"] != "/health/consuming", (name, probe)
        assert container["resources"]["requests"]["cpu"]
        assert container["resources"]["limits"]["memory"]


def test_the_health_paths_the_probes_use_exist() -> None:
    source = (Path(__file__).resolve().parents[2] / "shared/platform/src/rtw_platform/http.py").read_text()
    chart = yaml.safe_load((CHART / "values.yaml").read_text())
    for probe in chart["probes"].values():
        assert f'@app.get("{probe["path"]}"' in source


def test_migrations_run_as_helm_hooks_before_the_new_pods_without_argo(
    documents: list[dict[str, Any]],
) -> None:
    jobs = of_kind(documents, "Job")
    assert set(jobs) == {f"rtw-{name}-migrate" for name in SERVICES}
    for name in SERVICES:
        job = jobs[f"rtw-{name}-migrate"]
        annotations = job["metadata"]["annotations"]
        assert set(annotations["helm.sh/hook"].split(",")) == {"pre-install", "pre-upgrade"}
        assert int(annotations["helm.sh/hook-weight"]) <= 0
        assert "before-hook-creation" in annotations["helm.sh/hook-delete-policy"]
        assert not [key for key in annotations if key.startswith("argocd.argoproj.io")]
        pod = job["spec"]["template"]["spec"]
        assert pod["restartPolicy"] == "Never"
        assert pod["containers"][0]["args"] == ["migrate", name]
        # A pre-install hook runs before the release's other objects exist: no ConfigMap or
        # ServiceAccount of the chart may be needed by it.
        assert "envFrom" not in pod["containers"][0]
        assert "serviceAccountName" not in pod


def test_each_service_has_a_disruption_budget_an_autoscaler_and_a_network_policy(
    documents: list[dict[str, Any]],
) -> None:
    deployments = of_kind(documents, "Deployment")
    budgets = list(of_kind(documents, "PodDisruptionBudget").values())
    autoscalers = of_kind(documents, "HorizontalPodAutoscaler")
    policies = list(of_kind(documents, "NetworkPolicy").values())
    for name, deployment in deployments.items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert [b for b in budgets if matches(b["spec"]["selector"]["matchLabels"], labels)], name
        autoscaler = autoscalers[name]["spec"]
        assert autoscaler["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
        assert autoscaler["minReplicas"] >= 2
        cpu = next(m for m in autoscaler["metrics"] if m["type"] == "Resource")
        assert cpu["resource"]["name"] == "cpu"
        queue = next(m for m in autoscaler["metrics"] if m["type"] == "External")  # as the example enables
        assert queue["external"]["metric"]["selector"]["matchLabels"] == {
            "service": name.removeprefix("rtw-")
        }
        selecting = [p for p in policies if matches(p["spec"]["podSelector"]["matchLabels"], labels)]
        assert any(p["metadata"]["name"] == "rtw-default-deny" for p in selecting), name
        assert any(p["metadata"]["name"] == name for p in selecting), name
    job_labels = [j["spec"]["template"]["metadata"]["labels"] for j in of_kind(documents, "Job").values()]
    for labels in job_labels:
        assert [
            p
            for p in policies
            if p["metadata"]["name"] == "rtw-migrate"
            and matches(p["spec"]["podSelector"]["matchLabels"], labels)
        ]


def _egress_ports(policy: dict[str, Any]) -> set[int]:
    return {port["port"] for rule in policy["spec"]["egress"] for port in rule["ports"]}


def test_network_policies_let_each_service_reach_only_what_it_needs(documents: list[dict[str, Any]]) -> None:
    policies = of_kind(documents, "NetworkPolicy")
    deny = policies["rtw-default-deny"]["spec"]
    assert set(deny["policyTypes"]) == {"Ingress", "Egress"}
    assert "ingress" not in deny
    assert "egress" not in deny
    values = production_values()["networkPolicy"]
    for name in SERVICES:
        policy = policies[f"rtw-{name}"]
        expected = {53, 5432, 5671, 5672}
        if name in {"applications", "assessment"}:
            expected |= {443}  # the object store
        if name == "notifications":
            expected |= {587, 443}  # the SMTP relay or GOV.UK Notify
        assert _egress_ports(policy) == expected, name
        to = {port["port"]: rule.get("to") for rule in policy["spec"]["egress"] for port in rule["ports"]}
        assert to[5432] == values["postgres"]["to"]
        assert to[5672] == values["rabbitmq"]["to"]
        (rule,) = policy["spec"]["ingress"]
        namespaces = [
            peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"] for peer in rule["from"]
        ]
        assert namespaces == ["ingress-nginx", "monitoring"]
        assert rule["ports"] == [{"port": "http", "protocol": "TCP"}]
    assert _egress_ports(policies["rtw-migrate"]) == {53, 5432}
    assert "ingress" not in policies["rtw-migrate"]["spec"]


def test_the_chart_makes_no_secret_and_takes_every_secret_by_reference(
    documents: list[dict[str, Any]],
) -> None:
    assert not [d for d in documents if d["kind"] == "Secret"]
    assert not list((CHART / "templates").glob("*secret*"))
    secret_variables = {"RTW_DATABASE_URL", "RTW_AMQP_URL", "RTW_TOKEN_SECRET", "RTW_CERTIFICATE_KEY"}
    secret_variables |= {
        "RTW_UNSUBSCRIBE_SECRET",
        "RTW_NOTIFY_API_KEY",
        "RTW_NOTIFY_CALLBACK_TOKEN",
        "RTW_SMTP_PASSWORD",
        "RTW_DLQ_AMQP_URL",
    }
    values = production_values()
    for name, pod in pod_specs(documents).items():
        env = {e["name"]: e for e in pod["containers"][0]["env"]}
        service = name.removeprefix("Deployment/rtw-").removeprefix("Job/rtw-").removesuffix("-migrate")
        for variable in secret_variables & set(env):
            assert "value" not in env[variable], (name, variable)
            reference = env[variable]["valueFrom"]["secretKeyRef"]
            expected = (
                values["secrets"]["shared"]
                if variable == "RTW_TOKEN_SECRET"
                else values["services"][service]["existingSecret"]
            )
            assert reference["name"] == expected, (name, variable)
        assert {"RTW_DATABASE_URL", "RTW_AMQP_URL", "RTW_TOKEN_SECRET"} <= set(env), name
        assert "RTW_DEVELOPMENT_MODE" not in env, name
        # Consumers believe only the producer's broker user (rtw_platform.publishers).
        assert env["RTW_PUBLISHER_USER"]["value"] == "rtw-{service}", name
    training = {e["name"] for e in pod_specs(documents)["Deployment/rtw-training"]["containers"][0]["env"]}
    assert "RTW_CERTIFICATE_KEY" in training
    notifications = {
        e["name"] for e in pod_specs(documents)["Deployment/rtw-notifications"]["containers"][0]["env"]
    }
    assert {"RTW_UNSUBSCRIBE_SECRET", "RTW_NOTIFY_API_KEY", "RTW_DLQ_AMQP_URL"} <= notifications


@pytest.mark.parametrize("service", SERVICES)
def test_the_chart_refuses_to_render_without_a_services_secret(service: str) -> None:
    values = production_values()
    values["services"][service]["existingSecret"] = ""
    assert f"services.{service}.existingSecret is required" in render_error(values)


def test_the_chart_refuses_to_render_without_the_shared_secret_or_https() -> None:
    values = production_values()
    values["secrets"]["shared"] = ""
    assert "secrets.shared is required" in render_error(values)
    values = production_values()
    values["publicUrl"] = "http://returners.example.org"
    assert "https://" in render_error(values)
    values = production_values()
    values["config"]["fileStoreUrl"] = ""
    assert "config.fileStoreUrl is required" in render_error(values)
    # The chart's own defaults name no Secret and no URL: nothing installs without the operator's.
    defaults = yaml.safe_load((CHART / "values.yaml").read_text())
    assert "is required" in render_error(copy.deepcopy(defaults))


def test_cookies_are_secure_and_the_ingress_terminates_tls_and_takes_the_video(
    documents: list[dict[str, Any]],
) -> None:
    from rtw_applications.second_stage import upload_limit
    from rtw_applications.settings import ApplicationsSettings
    from rtw_platform.settings import ServiceSettings

    for name, pod in pod_specs(documents).items():
        env = {e["name"]: e.get("value") for e in pod["containers"][0]["env"]}
        assert ServiceSettings(public_url=env["RTW_PUBLIC_URL"], secure_cookies=False).cookies_are_secure(), (
            name
        )
    ingresses = of_kind(documents, "Ingress")
    assert set(ingresses) == {f"rtw-{name}" for name in SERVICES} | {
        f"rtw-{name}-metrics" for name in SERVICES
    }
    for name in SERVICES:
        # The metrics (a database and broker query each) are not served to the internet.
        blocked = ingresses.pop(f"rtw-{name}-metrics")
        assert (
            blocked["metadata"]["annotations"]["nginx.ingress.kubernetes.io/whitelist-source-range"]
            == "127.0.0.1/32"
        )
        (path,) = blocked["spec"]["rules"][0]["http"]["paths"]
        assert path["path"] == f"/{name}/metrics"
        assert path["backend"] == ingresses[f"rtw-{name}"]["spec"]["rules"][0]["http"]["paths"][0]["backend"]
    for name, ingress in ingresses.items():
        (tls,) = ingress["spec"]["tls"]
        assert tls["secretName"] == "rtw-tls"
        assert tls["hosts"] == [ingress["spec"]["rules"][0]["host"]] == ["returners.example.org"]
        annotations = ingress["metadata"]["annotations"]
        assert annotations["cert-manager.io/cluster-issuer"] == "letsencrypt-production"
        assert annotations["nginx.ingress.kubernetes.io/force-ssl-redirect"] == "true"
        assert annotations["nginx.ingress.kubernetes.io/x-forwarded-prefix"] == "/" + name.removeprefix(
            "rtw-"
        )
    size = ingresses["rtw-applications"]["metadata"]["annotations"][
        "nginx.ingress.kubernetes.io/proxy-body-size"
    ]
    assert size.endswith("m")
    assert int(size[:-1]) * 1024 * 1024 >= upload_limit(ApplicationsSettings())


def test_the_values_schema_refuses_a_misspelt_service_a_plain_http_url_and_weakened_pods() -> None:
    values = production_values()
    values["services"]["aplications"] = values["services"].pop("applications")
    assert "aplications" in render_error(values)
    values = production_values()
    values["publicUrl"] = "http://returners.example.org"
    assert "publicUrl" in render_error(values)
    values = production_values()
    values["securityContext"] = {"allowPrivilegeEscalation": True}
    assert "allowPrivilegeEscalation" in render_error(values)


def _filled(env: list[dict[str, Any]]) -> dict[str, str]:
    """A container's environment with each Secret reference given a value as the operator's
    Secret would (random secrets, a real Ed25519 key); optional references left out."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    pem = (
        Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        .decode()
    )
    examples = {
        "RTW_DATABASE_URL": "postgresql+asyncpg://rtw_service:" + secrets.token_hex(16) + "@db.internal/rtw",
        "RTW_AMQP_URL": "amqps://rtw-service:" + secrets.token_hex(16) + "@rabbitmq.internal/rtw",
        "RTW_CERTIFICATE_KEY": pem,
    }
    filled = {}
    for variable in env:
        if "value" in variable:
            filled[variable["name"]] = variable["value"]
        elif not variable["valueFrom"]["secretKeyRef"].get("optional"):
            filled[variable["name"]] = examples.get(variable["name"], secrets.token_hex(32))
    return filled


def test_each_service_starts_on_the_environment_the_chart_gives_it(
    documents: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Every RTW_* variable the chart sets is one the platform reads (a misspelt name would be
    ignored silently), and with the Secrets filled in each service accepts its secrets."""
    from rtw_platform.secret_checks import unsafe_secrets

    filestore = (
        Path(__file__).resolve().parents[2] / "shared/platform/src/rtw_platform/filestore.py"
    ).read_text()
    deployments = of_kind(documents, "Deployment")
    services = installed_services()
    fields = {f"RTW_{field.upper()}" for d in services.values() for field in d.settings_class.model_fields}
    for name, definition in services.items():
        env = _filled(deployments[f"rtw-{name}"]["spec"]["template"]["spec"]["containers"][0]["env"])
        for variable in env:
            if variable.startswith("RTW_"):
                assert variable in fields or f'"{variable}"' in filestore, (name, variable)
        for variable in [v for v in os.environ if v.startswith("RTW_")]:
            monkeypatch.delenv(variable)
        for variable, value in env.items():
            monkeypatch.setenv(variable, value)
        settings = definition.settings_class(_secrets_dir=str(tmp_path))
        assert settings.development_mode is False, name
        assert unsafe_secrets(settings) == [], name
        assert settings.cookies_are_secure(), name
        assert settings.public_url == "https://returners.example.org", name


def test_the_broker_gives_each_service_its_own_user_queues_and_events(
    documents: list[dict[str, Any]],
) -> None:
    """With the RabbitMQ Messaging Topology Operator: one user per service from the operator's
    Secret, configure/read/write on its own queues and its own exchanges only, publishing only
    the events that service owns (the contracts say which) and only to its own exchange
    rtw.publish.<service>, bound to rtw.events for exactly those keys; no write on rtw.events
    (a queue dead-lettering there, which no topic permission checks, is refused)."""
    topology = [d for d in documents if d["apiVersion"] == "rabbitmq.com/v1beta1"]
    by_kind: dict[str, dict[str, dict[str, Any]]] = {}
    for document in topology:
        by_kind.setdefault(document["kind"], {})[document["metadata"]["name"]] = document["spec"]
    assert {spec["name"]: spec["type"] for spec in by_kind["Exchange"].values()} == {
        "rtw.events": "topic",
        **{f"rtw.dlx.{name}": "direct" for name in installed_services()},
        **{f"rtw.publish.{name}": "topic" for name in installed_services()},
    }
    policies = {spec["name"]: spec for spec in by_kind["Policy"].values()}
    assert set(policies) == {
        "quorum-leaders-balanced",
        "dead-letters-kept-30-days",
        "outside-teams-queues-limited",
    }
    outside = policies["outside-teams-queues-limited"]
    assert (outside["pattern"], outside["definition"]) == ("^ext\\.", TEAM_QUEUE_LIMITS)
    assert outside["priority"] > policies["dead-letters-kept-30-days"]["priority"]
    bindings: dict[str, set[str]] = {}
    for spec in by_kind["Binding"].values():
        assert (spec["destination"], spec["destinationType"]) == ("rtw.events", "exchange")
        bindings.setdefault(spec["source"], set()).add(spec["routingKey"])
    assert bindings == {name: set(keys) for name, keys in publish_bindings().items()}
    values = production_values()["rabbitmq"]["topology"]
    services = installed_services()
    for name, definition in services.items():
        user = f"rtw-{name}-broker-user"
        assert by_kind["User"][user]["importCredentialsSecret"] == {"name": values["userSecrets"][name]}
        permission = by_kind["Permission"][user]
        assert permission["userReference"] == {"name": user}
        others = [o for o in services if o != name]
        for kind in ("configure", "read", "write"):
            pattern = re.compile(permission["permissions"][kind])
            assert pattern.match(f"{name}.application-submitted")
            assert pattern.match(f"{name}.application-submitted.dlq")
            assert not any(pattern.match(f"{o}.application-submitted") for o in others), (name, kind)
        configure = re.compile(permission["permissions"]["configure"])
        assert not configure.match("rtw.events"), name
        assert not configure.match(f"rtw.dlx.{name}"), name
        assert not configure.match(f"rtw.publish.{name}"), name
        writes = re.compile(permission["permissions"]["write"])
        assert not writes.match("rtw.events"), name
        assert writes.match(f"rtw.publish.{name}"), name
        assert writes.match(f"rtw.dlx.{name}"), name
        assert not any(writes.match(f"rtw.publish.{o}") or writes.match(f"rtw.dlx.{o}") for o in others)
        assert re.match(permission["permissions"]["read"], "rtw.events"), name
        topic = by_kind["TopicPermission"][user]
        assert topic["permissions"]["exchange"] == "rtw.events"
        assert topic["permissions"]["write"] == "^$"
        publish = by_kind["TopicPermission"][f"{user}-publish"]
        assert publish["userReference"] == {"name": user}
        assert publish["permissions"]["exchange"] == f"rtw.publish.{name}"
        write = re.compile(publish["permissions"]["write"])
        own = {event.ROUTING_KEY for event in definition.publishes}
        theirs = {event.ROUTING_KEY for other in services.values() for event in other.publishes} - own
        assert all(write.match(key) for key in own), name
        assert not [key for key in theirs if write.match(key)], name
        read = re.compile(topic["permissions"]["read"])
        consumed = {subscription.event.ROUTING_KEY for subscription in definition.subscriptions}
        others = [key for key in EVENTS if key not in consumed]
        assert all(read.match(key) for key in consumed), name
        assert not [key for key in others if read.match(key)], name
    for document in topology:
        assert document["spec"]["rabbitmqClusterReference"] == {
            "name": "rtw-rabbitmq",
            "namespace": "rabbitmq",
        }
    values = production_values()
    values["rabbitmq"]["topology"]["userSecrets"]["matching"] = ""
    assert "rabbitmq.topology.userSecrets.matching is required" in render_error(values)
