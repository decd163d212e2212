#!/usr/bin/env python3
"""Writes core/fuzz/seeds/<target>/ from the conformance vectors in tests/vectors/.

Seeds are small valid (and a few invalid) inputs in each target's input layout (see the
doc comment at the top of each fuzz_targets/<target>.rs). Rerun after the vectors change:
    python3 core/fuzz/make_seeds.py
"""
import hashlib
import json
import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
VECTORS = os.path.join(HERE, "..", "..", "tests", "vectors")
SEEDS = os.path.join(HERE, "seeds")
MAX_SEED = 16 * 1024
PER_TARGET = 12


def cases(name):
    with open(os.path.join(VECTORS, name + ".json"), encoding="utf-8") as f:
        return json.load(f)["cases"]


def ok(case):
    return "ok" in case["expected"]


def write(target, seeds):
    out = os.path.join(SEEDS, target)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    kept = []
    for s in seeds:
        b = s.encode("utf-8") if isinstance(s, str) else bytes(s)
        if len(b) <= MAX_SEED and b not in kept:
            kept.append(b)
    for b in kept[:PER_TARGET]:
        name = hashlib.sha1(b).hexdigest()[:16]
        with open(os.path.join(out, name), "wb") as f:
            f.write(b)
    print(f"{target}: {min(len(kept), PER_TARGET)} seeds")


def spread(items, n=PER_TARGET):
    """Every k-th item, so seeds cover the whole vector file, not just its start."""
    items = list(items)
    if len(items) <= n:
        return items
    step = len(items) / n
    return [items[int(i * step)] for i in range(n)]


def main():
    write("digest", spread(c["input"] for c in cases("digest_parse")))

    manifests = [c["input"]["body"] for c in cases("manifest_parse") if ok(c)]
    write("json", spread(manifests))

    ref = [c["input"] for c in cases("reference_parse") if ok(c)]
    ref += [c["input"] for c in cases("reference_normalize") if ok(c)][:3]
    ref += [c["input"] for c in cases("reference_transport") if ok(c)][:3]
    with_ = []
    for c in cases("reference_with"):
        tag = next((o["tag"] for o in c["input"]["ops"] if "tag" in o), "v1")
        dig = next((o["digest"] for o in c["input"]["ops"] if "digest" in o), "")
        with_.append(f'{c["input"]["name"]}\n{tag}\n{dig}')
    write("reference", spread(ref, 7) + with_[:3] + ["90435eec5c4e", "sha256:90435eec"])

    confs = []
    for fam in ("reference_short_names", "reference_registries_conf", "reference_pull_sources"):
        for c in cases(fam):
            if not ok(c):
                continue
            name = c["input"].get("name") or c["input"].get("reference") or ""
            confs.append(c["input"]["conf"] + "\0" + name)
    write("registries_conf", spread(confs))

    headers = []
    for c in cases("auth_challenges"):
        headers.append("\n" + "\n".join(c["input"]["headers"]))
    for c in cases("auth_token"):
        if c["input"].get("op") == "request":
            headers.append("\n" + c["input"]["challenge"])
    write("www_authenticate", spread(headers))

    docs = []
    for c in cases("auth_docker_config"):
        i = c["input"]
        if "config" in i:
            docs.append(json.dumps(i["config"]))
        if "config_text" in i and ok(c):
            docs.append(i["config_text"])
        if "output" in i:
            docs.append(i["output"])
    for c in cases("auth_keyring"):
        for cfg in c["input"].get("configs", [])[:1]:
            docs.append(json.dumps(cfg if c["input"].get("legacy") else {"auths": cfg}))
    docs = spread(docs, 7)
    docs += spread([json.dumps(c["input"]["config"]) for c in cases("auth_cri")], 3)
    docs += [
        c["input"]["body"]
        for c in cases("auth_token")
        if c["input"].get("op") == "response" and ok(c)
    ][:2]
    write("auth_files", docs)

    mans = []
    for c in cases("manifest_parse"):
        if ok(c) and len(c["input"]["body"]) <= MAX_SEED:
            mans.append(b"\0\0\0" + c["input"]["body"].encode("utf-8"))
    write("manifest", spread(mans))

    cfgs = [b"\0" + c["input"].encode() for c in cases("config_parse") if ok(c)]
    cfgs = spread(cfgs, 5)
    cfgs += [b"\0" + c["input"].encode() for c in cases("config_timestamp") if ok(c)][:2]
    cfgs += [b"\0" + c["input"].encode() for c in cases("config_user")][:1]
    for c in spread([c for c in cases("config_schema1") if ok(c)], 4):
        parts = [h["v1Compatibility"].encode() for h in c["input"]["history"]]
        cfgs.append(b"\x01" + b"\0".join(parts))
    write("config", cfgs)

    plats = [b"\0" + c["input"]["specifier"].encode() for c in cases("platform_parse") if ok(c)]
    plats = spread(plats, 8)
    for c in spread(cases("platform_select"), 4):
        want = c["input"]["want"]
        obj = c["input"]["available"][0] if c["input"]["available"] else want
        spec = want if isinstance(want, str) else "linux/amd64"
        plats.append(b"\x05" + (spec + "\n" + json.dumps(obj)).encode())
    write("platform", plats)

    realms = [c["input"]["realm"] for c in cases("auth_realm") if ok(c)]
    urls = [r + "\n/v2/library/busybox/blobs/uploads/abc?_state=x\n../x\n//other.example/y\n?q=1"
            for r in realms[:6]]
    urls += ["https://registry-1.docker.io/v2/\nhttps://production.cloudflare.docker.com/r/x"]
    write("url", urls)

    filt = []
    for c in spread(cases("filter_match"), 6):
        index = {"version": 1, "images": c["input"]["images"]}
        filt.append("\n".join(c["input"]["filters"]) + "\0" + json.dumps(index))
    for c in spread([c for c in cases("filter_parse") if ok(c)], 4):
        filt.append("\n".join(c["input"]["filters"]))
    filt += [c["input"]["pattern"] for c in cases("filter_glob")][:2]
    filt += ["until=" + c["input"]["value"] for c in cases("filter_until") if ok(c)][:1]
    write("filter", filt)

    write("http_headers", [
        "120",
        "Wed, 21 Oct 2015 07:28:00 GMT\nWed, 21 Oct 2015 07:27:00 GMT",
        "0\nratelimit-limit: 100;w=21600\nratelimit-remaining: 76;w=21600",
        "garbage\nx-ratelimit-limit: 60\nx-ratelimit-remaining: 0",
    ])


if __name__ == "__main__":
    main()
