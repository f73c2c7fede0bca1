// The floor of a launch: the kernel work of `zjail --profile
// bench/launch.profile /bin/true` and nothing else. No parsing, no plan, no
// checks beyond what the calls return, no error socket: the namespaces,
// id maps, root file system, masks, pivot_root, credentials and Landlock
// ruleset of that jail, written out by hand for this profile, then execve.
// bench/launch.sh times it beside zjail, so the gap between the two is what
// zjail's own work costs, and floor/unshare is the best ratio the same jail
// can reach against unshare.
//
// Left out on purpose: the seccomp filter (its attach is measured on its own
// by bench/seccomp.sh, "attaching it") and the denial listener's handoff to
// the parent. Kept: everything else the kernel does for zjail's launch,
// in the same processes (the parent, the jail's init as PID 1, the payload
// started vfork-style as PID 2).
//
// --activated: the jail of profiles/echo-activated.profile instead, for
// bench/accept.sh's Accept=yes instances: /proc with subset=pid (so its
// masks do not exist), LimitCORE=0 and LimitNOFILE=4096, and the
// connection systemd passed handed on as zjail hands it on (LISTEN_FDS kept,
// LISTEN_PID the payload's own pid, nothing else in the environment).
//
//   floor /bin/true                  (as root, like bench/launch.sh's lines)
//   floor --activated /path/to/echo  (as ExecStart= of an Accept=yes unit)
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/keyctl.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define RO_BIND (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV)
#define DEV_BIND (MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC)
#define SEALED (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC)

static char *const *payload_argv;
static int activated;
static const char *listen_fds;
static int go_pipe[2];
static int root_fd;

static void die(const char *what) {
  perror(what);
  _exit(125);
}

static int openat2_beneath(int dir, const char *name, int flags) {
  struct open_how how = {.flags = (uint64_t)(flags | O_PATH | O_CLOEXEC),
                         .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
  return (int)syscall(SYS_openat2, dir, name, &how, sizeof how);
}

static void set_attr(int fd, uint64_t attr, int recursive) {
  struct mount_attr a = {.attr_set = attr};
  if (mount_setattr(fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &a, sizeof a) < 0) die("mount_setattr");
}

// A host path cloned with its flags, before the root is built.
static int clone_host(const char *path, uint64_t attr, int recursive) {
  struct open_how how = {.flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_NO_SYMLINKS};
  int p = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
  if (p < 0) die(path);
  int t = open_tree(p, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0));
  if (t < 0) die("open_tree");
  close(p);
  set_attr(t, attr, recursive);
  return t;
}

static int new_fs(const char *type, const char *const *opts, unsigned attr) {
  int fs = fsopen(type, FSOPEN_CLOEXEC);
  if (fs < 0) die(type);
  for (; opts && opts[0]; opts += 2) {
    int r = opts[1] ? fsconfig(fs, FSCONFIG_SET_STRING, opts[0], opts[1], 0)
                    : fsconfig(fs, FSCONFIG_SET_FLAG, opts[0], NULL, 0);
    if (r < 0) die(opts[0]);
  }
  if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) die("fsconfig");
  int m = fsmount(fs, FSMOUNT_CLOEXEC, attr);
  if (m < 0) die("fsmount");
  close(fs);
  return m;
}

static void attach(int tree, int target) {
  if (move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) die("move_mount");
  close(tree);
  close(target);
}

// A mount point made in `dir` (a file system this process just made).
static int make_dir(int dir, const char *name) {
  if (mkdirat(dir, name, 0755) < 0) die(name);
  int fd = openat2_beneath(dir, name, O_DIRECTORY);
  if (fd < 0) die(name);
  return fd;
}

static int make_file(int dir, const char *name) {
  if (mknodat(dir, name, S_IFREG | 0644, 0) < 0) die(name);
  int fd = openat2_beneath(dir, name, 0);
  if (fd < 0) die(name);
  return fd;
}

static void build_root(void) {
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) die("make private");
  static const char *const dirs[] = {"usr", "bin", "sbin", "lib", "lib64"};
  static const char *const host_dirs[] = {"/usr", "/usr/bin", "/usr/sbin", "/usr/lib", "/usr/lib64"};
  static const char *const devs[] = {"null", "zero", "full", "random", "urandom", "tty"};
  int dir_src[5], dev_src[6];
  for (int i = 0; i < 5; ++i) dir_src[i] = clone_host(host_dirs[i], RO_BIND, 1);
  int cache_src = clone_host("/etc/ld.so.cache", RO_BIND, 1);
  for (int i = 0; i < 6; ++i) {
    char path[32];
    snprintf(path, sizeof path, "/dev/%s", devs[i]);
    dev_src[i] = clone_host(path, DEV_BIND, 0);
  }

  static const char *const root_opts[] = {"mode", "0755", NULL};
  root_fd = new_fs("tmpfs", root_opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
  if (move_mount(root_fd, "", AT_FDCWD, "/tmp", MOVE_MOUNT_F_EMPTY_PATH) < 0) die("stage");
  umask(0);
  for (int i = 0; i < 5; ++i) attach(dir_src[i], make_dir(root_fd, dirs[i]));
  static const char *const tmp_opts[] = {"mode", "1777", NULL};
  attach(new_fs("tmpfs", tmp_opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV), make_dir(root_fd, "tmp"));
  static const char *const proc_opts[] = {"hidepid", "invisible", NULL};
  static const char *const pid_proc_opts[] = {"hidepid", "invisible", "subset", "pid", NULL};
  int proc = make_dir(root_fd, "proc");
  int proc_fs = new_fs("proc", activated ? pid_proc_opts : proc_opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
  if (move_mount(proc_fs, "", proc, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    die("proc");
  close(proc);
  static const char *const dev_opts[] = {"mode", "0755", "size", "64k", "nr_inodes", "4096", NULL};
  attach(new_fs("tmpfs", dev_opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC), make_dir(root_fd, "dev"));
  int etc = make_dir(root_fd, "etc");
  attach(cache_src, make_file(etc, "ld.so.cache"));
  close(etc);

  // /proc: its kernel-tunable directories read-only, the leaky files masked
  // with /dev/null (one clone, then clones of it), acpi with an empty tmpfs.
  proc = openat2_beneath(root_fd, "proc", O_DIRECTORY);
  static const char *const ro[] = {"sys", "bus", "fs", "irq"};
  for (int i = 0; i < 4; ++i) {
    int t = openat2_beneath(proc, ro[i], 0);
    if (t < 0) continue;
    int tree = open_tree(t, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
    if (tree < 0) die("open_tree");
    set_attr(tree, SEALED, 1);
    attach(tree, t);
  }
  static const char *const masked[] = {"sysrq-trigger", "kcore", "kallsyms", "keys", "timer_list", "latency_stats",
                                       "sched_debug", "scsi", "cmdline", "bootconfig", "key-users", "config.gz",
                                       "consoles"};
  int null_mask = -1;
  for (size_t i = 0; i < sizeof masked / sizeof *masked; ++i) {
    int t = openat2_beneath(proc, masked[i], 0);
    if (t < 0) continue;  // not on this kernel
    int tree;
    if (null_mask < 0) {
      tree = open_tree(AT_FDCWD, "/dev/null", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
      if (tree < 0) die("open_tree");
      set_attr(tree, SEALED, 0);
    } else {
      tree = open_tree(null_mask, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
      if (tree < 0) die("open_tree");
      close(null_mask);
    }
    if (move_mount(tree, "", t, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) die("mask");
    close(t);
    null_mask = tree;
  }
  if (null_mask >= 0) close(null_mask);
  int acpi = openat2_beneath(proc, "acpi", O_DIRECTORY);
  if (acpi >= 0) attach(new_fs("tmpfs", NULL, SEALED), acpi);
  close(proc);

  int dev = openat2_beneath(root_fd, "dev", O_DIRECTORY);
  for (int i = 0; i < 6; ++i) attach(dev_src[i], make_file(dev, devs[i]));
  static const char *const pts_opts[] = {"newinstance", NULL, "ptmxmode", "0666", "mode", "0620", NULL};
  attach(new_fs("devpts", pts_opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC), make_dir(dev, "pts"));
  if (symlinkat("pts/ptmx", dev, "ptmx") < 0) die("ptmx");
  attach(new_fs("tmpfs", tmp_opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC), make_dir(dev, "shm"));
  static const char *const links[][2] = {
      {"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"}, {"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"}};
  for (int i = 0; i < 4; ++i)
    if (symlinkat(links[i][0], dev, links[i][1]) < 0) die(links[i][1]);
  close(dev);
  umask(022);

  if (fchdir(root_fd) < 0 || syscall(SYS_pivot_root, ".", ".") < 0 || umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
    die("pivot_root");
  struct mount_attr a = {.attr_set = MOUNT_ATTR_RDONLY};
  if (mount_setattr(AT_FDCWD, "/", 0, &a, sizeof a) < 0) die("remount /");
  close(root_fd);
}

static void bring_up_lo(void) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct ifreq ifr = {0};
  strcpy(ifr.ifr_name, "lo");
  if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0) die("lo");
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) die("lo up");
  close(s);
}

// Landlock: every file-system right the kernel knows handled (as zjail:
// ABI 5 all, 3 and 4 all but ioctl on devices, 2 all but that and truncate,
// below 2 no path rules), and the same rules as zjail's for this jail (which
// knows each path's type already).
#define LL_RX (1u | 4u | 8u | 0x8000u)               // execute, read file and dir, ioctl
#define LL_DEV_FILE (2u | 4u | 0x8000u)              // read and write a device
#define LL_RW_DIR 0xfffeu                            // everything but execute
struct ll_ruleset_attr {
  uint64_t handled_access_fs;
};
struct ll_path_beneath {
  uint64_t allowed_access;
  int32_t parent_fd;
} __attribute__((packed));

static uint64_t ll_handled;

// EBADFD: a pipe or socket (a standard stream under perf or a shell),
// which Landlock never restricts, as zjail skips it.
static void add_rule(int ruleset, int fd, uint64_t access) {
  struct ll_path_beneath r = {access & ll_handled, fd};
  if (syscall(SYS_landlock_add_rule, ruleset, 1, &r, 0) < 0 && errno != EBADFD) die("landlock_add_rule");
}

static void restrict_self(int exec_fd) {
  int abi = (int)syscall(SYS_landlock_create_ruleset, NULL, 0, 1u /* LANDLOCK_CREATE_RULESET_VERSION */);
  ll_handled = abi >= 5 ? 0xffff : abi >= 3 ? 0x7fff : abi >= 2 ? 0x3fff : 0;
  if (!ll_handled) return;
  struct ll_ruleset_attr attr = {ll_handled};
  int rs = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
  if (rs < 0) die("landlock_create_ruleset");
  static const struct {
    const char *path;
    uint64_t access;
  } rules[] = {
      {"/", 8},           {"/bin", LL_RX},           {"/dev", 0x1ff8},          {"/dev/full", LL_DEV_FILE},
      {"/dev/null", LL_DEV_FILE}, {"/dev/pts", LL_RW_DIR}, {"/dev/random", LL_DEV_FILE}, {"/dev/shm", LL_RW_DIR},
      {"/dev/tty", LL_DEV_FILE}, {"/dev/urandom", LL_DEV_FILE}, {"/dev/zero", LL_DEV_FILE},
      {"/etc/ld.so.cache", 1 | 4 | 0x8000}, {"/lib", LL_RX}, {"/lib64", LL_RX}, {"/proc", LL_RW_DIR},
      {"/proc/bus", 4 | 8 | 0x8000}, {"/proc/fs", 4 | 8 | 0x8000}, {"/proc/irq", 4 | 8 | 0x8000},
      {"/proc/sys", 4 | 8 | 0x8000}, {"/sbin", LL_RX}, {"/tmp", 0xffff}, {"/usr", LL_RX},
  };
  for (size_t i = 0; i < sizeof rules / sizeof *rules; ++i) {
    int fd = open(rules[i].path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && activated && errno == ENOENT) continue;  // /proc/sys and the like: not in subset=pid
    if (fd < 0) die(rules[i].path);
    add_rule(rs, fd, rules[i].access);
    close(fd);
  }
  add_rule(rs, exec_fd, 1 | 4);
  add_rule(rs, 0, 4 | 0x8000);
  add_rule(rs, 1, 2);
  add_rule(rs, 2, 2);
  if (syscall(SYS_landlock_restrict_self, rs, 0) < 0) die("landlock_restrict_self");
  close(rs);
}

// The payload: PID 2, on the init's memory until its execve.
static int payload(void *arg) {
  int exec_fd = *(int *)arg;
  if (setsid() < 0) die("setsid");
  if (syscall(SYS_setgroups, 0, NULL) < 0 || syscall(SYS_setresgid, 65534, 65534, 65534) < 0) die("gid");
  for (int c = 0; c <= CAP_LAST_CAP; ++c)
    if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0) die("bounding set");
  if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL, 0, 0, 0) < 0) die("keyring");
  if (syscall(SYS_setresuid, 65534, 65534, 65534) < 0) die("uid");
  struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct d[2] = {{0}};
  if (syscall(SYS_capset, &h, d) < 0) die("capset");
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) die("no_new_privs");
  restrict_self(exec_fd);
  if (chdir("/") < 0) die("chdir");
  char fds[32], pid[32];
  char *env[3] = {NULL};
  if (listen_fds) {
    snprintf(fds, sizeof fds, "LISTEN_FDS=%s", listen_fds);
    snprintf(pid, sizeof pid, "LISTEN_PID=%d", (int)getpid());
    env[0] = fds;
    env[1] = pid;
  }
  syscall(SYS_execveat, exec_fd, "", payload_argv, env, AT_EMPTY_PATH);
  die("execveat");
  return 0;
}

static int init(void) {
  char go;
  close(go_pipe[1]);
  if (read(go_pipe[0], &go, 1) != 1) _exit(125);
  close(go_pipe[0]);
  if (unshare(CLONE_NEWCGROUP) < 0) die("cgroup namespace");
  int exec_fd = open(payload_argv[0], O_PATH | O_CLOEXEC);
  if (exec_fd < 0) die(payload_argv[0]);
  build_root();
  if (sethostname("bench", 5) < 0) die("hostname");
  bring_up_lo();
  if (activated) {
    struct rlimit core = {0, 0}, files = {4096, 4096};
    if (setrlimit(RLIMIT_CORE, &core) < 0 || setrlimit(RLIMIT_NOFILE, &files) < 0) die("setrlimit");
  }
  size_t size = 64 * 1024;
  char *stack = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) die("mmap");
  pid_t pid = clone(payload, stack + size, CLONE_VM | CLONE_VFORK | SIGCHLD, &exec_fd);
  if (pid < 0) die("clone");
  int status;
  if (waitpid(pid, &status, 0) < 0) die("waitpid");
  _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

static void write_file(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write(fd, text, strlen(text)) < 0) die(path);
  close(fd);
}

int main(int argc, char **argv) {
  activated = argc > 1 && strcmp(argv[1], "--activated") == 0;
  if (argc < 2 + activated) {
    fprintf(stderr, "usage: %s [--activated] /path/to/program [args]\n", argv[0]);
    return 125;
  }
  payload_argv = argv + 1 + activated;
  listen_fds = activated ? getenv("LISTEN_FDS") : NULL;
  if (pipe2(go_pipe, O_CLOEXEC) < 0) die("pipe");
  struct clone_args args = {
      .flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWTIME,
      .exit_signal = SIGCHLD,
  };
  pid_t pid = (pid_t)syscall(SYS_clone3, &args, sizeof args);
  if (pid < 0) die("clone3");
  if (pid == 0) init();
  close(go_pipe[0]);
  // zjail's maps for a root caller: root and nobody, each to itself.
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/uid_map", pid);
  write_file(path, "0 0 1\n65534 65534 1\n");
  snprintf(path, sizeof path, "/proc/%d/gid_map", pid);
  write_file(path, "0 0 1\n65534 65534 1\n");
  if (write(go_pipe[1], "G", 1) != 1) die("go");
  close(go_pipe[1]);
  int status;
  if (waitpid(pid, &status, 0) < 0) die("waitpid");
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
