"""Build one deployable source bundle per function in serverless.yaml.

For each function: build/bundles/<name>/ holds its main.py, the inventory package (copied from
shared/inventory) with the route table of serverless.yaml as inventory/routes.json (a bundle has no
manifest, nor PyYAML), and a requirements.txt with only that function's pinned runtime deps; it is
then zipped, byte-for-byte reproducibly, to build/bundles/<name>.zip (infra/ uploads the zips
and names them by content hash, so an unchanged function is not redeployed).

Which deps a function gets, from requirements.txt's pins:
- the base set always (functions-framework, pydantic, Firestore, cryptography, ...);
- google-cloud-pubsub only if the function may publish: every function except the read-only
  HTTP ones (all routes GET). Publishing happens after a write commits, and the publisher is
  built lazily, so a read-only function never reaches that import;
- what its manifest entry names in `requirements:` (boto3 where S3 is used, flask-swagger-ui
  for the docs page), and nothing of OPT_IN otherwise;
- PyYAML never: only the manifest reader and the local server use it, not a deployed function.
Each bundle is then imported in a fresh interpreter with the modules of the deps it lacks
blocked, so a bundle that would fail at cold start fails here instead.
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import deploy_manifest  # noqa: E402
from inventory import manifest, route_table  # noqa: E402

ROOT = deploy_manifest.ROOT
PACKAGE = ROOT / "shared" / "inventory"
# Distributions a function may do without, and the modules that prove it used them anyway.
OPTIONAL_MODULES = {
    "google-cloud-pubsub": ("google.cloud.pubsub", "google.cloud.pubsub_v1"),
    "PyYAML": ("yaml",),
    "boto3": ("boto3", "botocore", "s3transfer"),
    "flask-swagger-ui": ("flask_swagger_ui",),
}
NEVER_SHIPPED = {"pyyaml"}
# Shipped only to the functions whose manifest entry names them in `requirements:`.
OPT_IN = {"boto3", "flask-swagger-ui"}
ZIP_TIME = (1980, 1, 1, 0, 0, 0)

# Run in a fresh interpreter (-I -B: no PYTHON* variables, no user site, no .pyc written):
# the bundle goes first on sys.path, the modules of unshipped deps are refused, main is imported.
IMPORT_CHECK = """
import importlib.abc, sys
bundle, blocked = sys.argv[1], tuple(filter(None, sys.argv[2].split(",")))
sys.path.insert(0, bundle)
class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if any(name == b or name.startswith(b + ".") for b in blocked):
            raise ImportError(f"{name} is not in this bundle's requirements.txt")
sys.meta_path.insert(0, Refuse())
import main, inventory
for module in (main, inventory):
    assert module.__file__.startswith(bundle), f"{module.__name__} came from {module.__file__}"
"""


def pinned_requirements(path: Path = ROOT / "requirements.txt") -> dict[str, str]:
    """Normalised distribution name -> its pinned line."""
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            name = re.split(r"[=<>!~\[; ]", line, maxsplit=1)[0]
            pins[normalise(name)] = line
    return pins


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirements_for(function: deploy_manifest.DeployedFunction, pins: dict[str, str]) -> list[str]:
    asked = {normalise(name) for name in function.requirements}
    unknown = asked - set(pins)
    if unknown:
        raise SystemExit(f"{function.name}: requirements {sorted(unknown)} are not pinned in requirements.txt")
    excluded = set(NEVER_SHIPPED) | (OPT_IN - asked)
    if function.read_only:
        excluded.add("google-cloud-pubsub")
    return [line for name, line in pins.items() if name not in excluded]


def blocked_modules(requirements: list[str]) -> list[str]:
    shipped = {normalise(re.split(r"[=<>!~\[; ]", line, maxsplit=1)[0]) for line in requirements}
    return [module for dist, modules in OPTIONAL_MODULES.items()
            if normalise(dist) not in shipped for module in modules]


def build(function: deploy_manifest.DeployedFunction, out: Path, pins: dict[str, str],
          routes: manifest.Manifest) -> Path:
    bundle = out / function.name
    shutil.rmtree(bundle, ignore_errors=True)
    bundle.mkdir(parents=True)
    shutil.copy2(ROOT / "functions" / function.name / "main.py", bundle / "main.py")
    shutil.copytree(PACKAGE, bundle / "inventory",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info"))
    route_table.write_bundled(routes.http_routes, bundle / "inventory" / route_table.BUNDLED.name)
    if function.name == "api_docs":  # the document is built here: the bundle has no manifest
        subprocess.run([sys.executable, str(ROOT / "scripts" / "write_openapi.py"),
                        str(bundle / "openapi.json")], check=True, capture_output=True)
    requirements = requirements_for(function, pins)
    (bundle / "requirements.txt").write_text("\n".join(requirements) + "\n")
    check_imports(bundle, blocked_modules(requirements))
    return write_zip(bundle, out / f"{function.name}.zip")


def check_imports(bundle: Path, blocked: list[str]) -> None:
    """Import main.py as the runtime would, from the bundle alone, without the unshipped deps."""
    result = subprocess.run([sys.executable, "-I", "-B", "-c", IMPORT_CHECK, str(bundle), ",".join(blocked)],
                            cwd=bundle, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{bundle.name}: main.py does not import from its bundle:\n{result.stderr}")


def write_zip(bundle: Path, target: Path) -> Path:
    """Same files in, same bytes out: fixed order, timestamps and permissions."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in bundle.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(path.relative_to(bundle).as_posix(), ZIP_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifest", type=Path, default=ROOT / "serverless.yaml")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "bundles")
    parser.add_argument("--only", action="append", help="build just these functions (repeatable)")
    args = parser.parse_args(argv)

    functions = deploy_manifest.load(args.manifest)
    routes = manifest.load(args.manifest.parent)
    pins = pinned_requirements()
    args.out.mkdir(parents=True, exist_ok=True)
    summary = {}
    for function in functions.values():
        if args.only and function.name not in args.only:
            continue
        archive = build(function, args.out, pins, routes)
        summary[function.name] = {"zip": str(archive.relative_to(ROOT) if archive.is_relative_to(ROOT) else archive),
                                  "requirements": requirements_for(function, pins)}
        print(f"{function.name:28} {archive.stat().st_size:>9} bytes  "
              f"{'read-only, no pubsub ' if function.read_only else ''}{' '.join(function.requirements)}")
    index = args.out / "bundles.json"
    if args.only and index.exists():  # a partial build updates the index, keeps the others
        summary = {**json.loads(index.read_text()), **summary}
    index.write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
