"""docker-py (Debian's python3-docker) against dockd: TestDockerPy runs it
with DOCKER_HOST set and the local registry's host:port as argv[1]. Each
check names what failed, with what it got; the exit code is the count of
failed checks."""

import sys
import traceback

import docker

REGISTRY = sys.argv[1]
failures = 0


def check(name):
    """Runs the decorated function as one check, reporting its failure."""
    def run(fn):
        global failures
        try:
            fn()
            print("ok   " + name)
        except Exception:
            failures += 1
            print("FAIL " + name + ":\n" + traceback.format_exc(), file=sys.stderr)
        return fn
    return run


def expect(got, want, what):
    if got != want:
        raise AssertionError("%s = %r, want %r" % (what, got, want))


client = docker.from_env(timeout=120)


@check("ping and version")
def _():
    expect(client.ping(), True, "ping()")
    v = client.version()
    expect(v.get("Os"), "linux", "version()['Os']")


@check("containers.run")
def _():
    out = client.containers.run("busybox", ["echo", "hi from py"], remove=True)
    expect(out, b"hi from py\n", "containers.run(echo)")
    try:
        client.containers.run("busybox", ["sh", "-c", "echo bad >&2; exit 3"], remove=True)
        raise AssertionError("containers.run(exit 3) raised nothing")
    except docker.errors.ContainerError as e:
        expect(e.exit_status, 3, "ContainerError.exit_status")
    c = client.containers.run("busybox", ["sleep", "600"], detach=True, name="pydetached")
    c.reload()
    expect(c.status, "running", "detached container's status")
    expect(c.exec_run(["echo", "exec'd"]).output, b"exec'd\n", "exec_run output")
    expect([x.name for x in client.containers.list()], ["pydetached"], "containers.list()")
    c.stop(timeout=1)
    c.reload()
    expect(c.status, "exited", "status after stop")
    c.remove()
    expect(client.containers.list(all=True), [], "containers.list(all=True) after remove")
    try:
        client.containers.get("pydetached")
        raise AssertionError("containers.get of a removed container raised nothing")
    except docker.errors.NotFound:
        pass


@check("images, push and pull")
def _():
    tags = [t for i in client.images.list() for t in i.tags]
    expect("busybox:latest" in tags, True, "busybox:latest in images.list() tags %r" % tags)
    img = client.images.get("busybox")
    repo = REGISTRY + "/py/bb"
    expect(img.tag(repo, "1"), True, "Image.tag")
    last = None
    for line in client.images.push(repo, tag="1", stream=True, decode=True):
        if "error" in line:
            raise AssertionError("push: %r" % line)
        last = line
    expect("aux" in (last or {}), True, "the push's last line %r has aux" % last)
    client.images.remove(repo + ":1")
    pulled = client.images.pull(repo, tag="1")
    expect(repo + ":1" in pulled.tags, True, "pulled image's tags %r" % pulled.tags)
    expect(pulled.id, img.id, "pulled image's ID")
    out = client.containers.run(repo + ":1", ["echo", "pulled"], remove=True)
    expect(out, b"pulled\n", "run of the pulled image")
    try:
        client.images.pull(repo, tag="nosuch")
        raise AssertionError("pull of a missing tag raised nothing")
    except docker.errors.APIError:
        pass


@check("networks")
def _():
    net = client.networks.create("pynet", driver="bridge", labels={"made-by": "py"})
    names = [n.name for n in client.networks.list()]
    for want in ("bridge", "host", "none", "pynet"):
        expect(want in names, True, "%s in networks.list() %r" % (want, names))
    expect(client.networks.get("pynet").attrs["Labels"], {"made-by": "py"}, "network labels")
    c = client.containers.run("busybox", ["sleep", "600"], detach=True, name="pynetc", network="pynet")
    net.reload()
    expect([x.name for x in net.containers], ["pynetc"], "network's containers")
    net.disconnect(c)
    c.remove(force=True)
    net.remove()
    expect("pynet" in [n.name for n in client.networks.list()], False, "pynet listed after remove")


@check("volumes")
def _():
    v = client.volumes.create("pyvol", labels={"made-by": "py"})
    expect(v.name, "pyvol", "volume name")
    expect([x.name for x in client.volumes.list()], ["pyvol"], "volumes.list()")
    out = client.containers.run("busybox", ["sh", "-c", "echo kept > /v/f; cat /v/f"],
                                volumes={"pyvol": {"bind": "/v", "mode": "rw"}}, remove=True)
    expect(out, b"kept\n", "run with the volume")
    expect(client.volumes.get("pyvol").attrs["Labels"], {"made-by": "py"}, "volume labels")
    v.remove()
    expect(client.volumes.list(), [], "volumes.list() after remove")


sys.exit(failures)
