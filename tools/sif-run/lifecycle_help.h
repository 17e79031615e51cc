#pragma once

// The long help of `sif-run oci ...` and `sif-run instance ...`.

namespace sifkit::tools {

inline constexpr const char* k_oci_help =
    R"(sif-run oci: the OCI container lifecycle over a bundle, as `singularity oci` has it.

  sif-run oci mount IMAGE BUNDLE          mount an OCI-SIF as a bundle (config.json + rootfs/)
  sif-run oci create [-b BUNDLE] ID       create the container (its process waits)
  sif-run oci start ID                    start its process
  sif-run oci state ID                    the runtime's state JSON (status: created,
                                          running, paused, stopped)
  sif-run oci attach ID                   join its stdin, stdout and stderr
  sif-run oci exec ID CMD [ARGS...]       run a further command in it
  sif-run oci kill ID [SIGNAL]            send SIGNAL (default TERM)
  sif-run oci pause ID | resume ID        freeze and thaw its processes
  sif-run oci delete [-f] ID              remove it (-f: even when it still runs)
  sif-run oci umount BUNDLE               undo oci mount

Example:
  sif-run oci mount app.sif /var/tmp/app
  sif-run oci create -b /var/tmp/app app1
  sif-run oci start app1; sif-run oci state app1
  sif-run oci kill app1; sif-run oci delete app1
  sif-run oci umount /var/tmp/app

conmon (Debian's conmon package) holds each container's stdio: the output goes to a log
file (--log-path, default container.log in the state directory) and `attach` connects
through conmon's socket BUNDLE/attach. The runtime is crun or runc (create --runtime;
later commands use the one that created the container), with its state under the
sifkit state directory (/run/sifkit as root, else $XDG_RUNTIME_DIR/sifkit; see
$SIFKIT_STATE_DIR), records in oci/ID/ there.

Each command has --help. Exit status: 0, or the codes of docs/exit-codes.md (3: no such
container, 7: the id exists or the container is in the wrong state); exec returns the
command's status.
)";

inline constexpr const char* k_oci_mount_help =
    "Mount IMAGE (an OCI-SIF) as an OCI bundle: BUNDLE/rootfs is the image's root\n"
    "filesystem with a tmpfs overlay on top (changes are lost at umount), BUNDLE/config.json\n"
    "the spec sif-run would run it with (ENTRYPOINT + CMD, the image's ENV, USER, WORKDIR).\n"
    "Edit config.json before create to change what runs. Same as sif-mount --bundle.";

inline constexpr const char* k_oci_umount_help =
    "Unmount a bundle made by `sif-run oci mount` (refused while a container uses it).\n"
    "config.json and the empty rootfs/ stay.";

inline constexpr const char* k_oci_create_help =
    "Create container ID from a bundle: the runtime sets up its namespaces, mounts and\n"
    "cgroups and leaves its process waiting for `sif-run oci start ID`. conmon holds the\n"
    "container's stdio (stdin open for `attach`; a terminal when config.json says\n"
    "process.terminal) and writes its output to the log. Fails (7) when ID exists or\n"
    "another container uses the bundle.";

inline constexpr const char* k_oci_simple_help =
    "`{0}` container ID: start runs its process; state prints the runtime's JSON verbatim\n"
    "(ociVersion, id, pid, status, bundle, created, ...); pause freezes its processes\n"
    "(freezer cgroup); resume thaws them.";

inline constexpr const char* k_oci_kill_help =
    "Send a signal to container ID's process: SIGNAL (or -s SIGNAL) by name (TERM,\n"
    "SIGTERM, kill) or number (15); TERM by default; -f sends KILL. The container is\n"
    "'stopped' once its process ends; delete removes it.";

inline constexpr const char* k_oci_delete_help =
    "Delete container ID: the runtime's state, conmon, and the record. Refused (7) while it\n"
    "is not stopped, unless -f (which kills it). The bundle stays mounted (oci umount).";

inline constexpr const char* k_oci_attach_help =
    "Attach to container ID's stdio through conmon: our stdin goes to its stdin, its\n"
    "stdout and stderr come to ours, until it ends. On a terminal, ctrl-p ctrl-q detaches\n"
    "and leaves it running. Output from before the attach is in its log file.";

inline constexpr const char* k_oci_exec_help =
    "Run CMD [ARGS...] in running container ID with its user, environment, working\n"
    "directory and capabilities (from the bundle's config.json); --env and --cwd change\n"
    "them. Everything after ID belongs to the command. Exit status: the command's.";

inline constexpr const char* k_instance_help =
    R"(sif-run instance: containers running in the background, surviving the shell that
started them.

  sif-run instance start [RUN FLAGS] IMAGE NAME [ARGS...]
                                    run IMAGE (ENTRYPOINT + CMD; ARGS replace CMD) as NAME
  sif-run instance list [--json]    the running instances
  sif-run instance stop [-s SIG] [-t SECONDS] NAME | --all
                                    stop them (SIG, then KILL after SECONDS)
  sif-run exec [--env K=V] [--cwd DIR] instance://NAME CMD [ARGS...]
                                    run a command in a running instance

Example:
  sif-run instance start --bind /data:/data web.sif web1
  sif-run exec instance://web1 ps
  sif-run instance list --json
  sif-run instance stop web1

An instance is run exactly as `sif-run IMAGE` runs a container (same flags, mounts and
clean-up) by a supervisor process in a session of its own; its stdout and stderr (and the
container's) are in instances/NAME/out.log and err.log of the sifkit state directory
(/run/sifkit as root, else $XDG_RUNTIME_DIR/sifkit; see $SIFKIT_STATE_DIR). Names:
letters, digits and _.- , starting with a letter or digit; one running instance per name.
)";

inline constexpr const char* k_instance_start_help =
    "Start IMAGE in the background as instance NAME, with the flags of `sif-run IMAGE`\n"
    "(see sif-run --help). Returns once the container runs, printing NAME; fails with the\n"
    "end of the instance's error log when it does not start. ARGS after NAME replace CMD.";

inline constexpr const char* k_instance_list_help =
    "List the running instances: name, pid of the container's first process, status,\n"
    "start time (UTC) and image. --json prints an array of objects with name, pid, status,\n"
    "created, image, container_id, runtime, supervisor_pid, out_log, err_log.";

inline constexpr const char* k_instance_stop_help =
    "Stop instance NAME (or all with --all): send SIG (default TERM) to its container; if\n"
    "it has not ended after SECONDS (default 10), KILL. Returns once its mounts are undone.";

} // namespace sifkit::tools
