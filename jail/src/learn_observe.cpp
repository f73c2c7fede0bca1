// Learn mode's observer (learn_observe.hpp): each watched call, while its
// caller waits, is decoded into learn::Observations and let go on
// (SECCOMP_USER_NOTIF_FLAG_CONTINUE). What is read is checked against the
// notification afterwards (SECCOMP_IOCTL_NOTIF_ID_VALID): a caller gone in
// between may have had its pid reused, and its facts are dropped. Nothing
// is enforced on what is read, so the payload changing its memory under the
// read (TOCTOU) only misleads learning about itself.
#include <fcntl.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <utility>

#include "learn_args.hpp"
#include "task_view.hpp"
#include "zjail/caps.hpp"
#include "zjail/learn_observe.hpp"

namespace zjail::learn {
namespace {

void respond(int listener, uint64_t id, int err, bool cont) {
  seccomp_notif_resp resp{};
  resp.id = id;
  resp.error = cont ? 0 : -err;
  resp.flags = cont ? SECCOMP_USER_NOTIF_FLAG_CONTINUE : 0;
  (void)ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);  // ENOENT: the caller is gone
}

int as_int(uint64_t v) { return static_cast<int>(static_cast<int32_t>(v)); }

// Capabilities that an unprivileged caller's call needs (the inference
// table of docs/learn.md): only where the call and its arguments say so.
constexpr int kPrivilegedPort = 1024;

}  // namespace

Observer::Observer(const Plan& plan, bool against_base, std::vector<std::string> command, std::string user)
    : plan_(plan), against_base_(against_base) {
  obs_.command = std::move(command);
  obs_.user = std::move(user);
  obs_.processes = 1;
  for (const auto& fd : plan.pass_fds) {
    struct stat st{};
    if (fstat(fd.get(), &st) == 0) passed_.insert({st.st_dev, st.st_ino});
  }
}

bool Observer::passed_socket(pid_t tid, int fd) const {
  if (passed_.empty() || fd < 0) return false;
  struct stat st{};
  std::string p = "/proc/" + std::to_string(tid) + "/fd/" + std::to_string(fd);
  return stat(p.c_str(), &st) == 0 && passed_.count({st.st_dev, st.st_ino});
}

void Observer::finish(uint64_t notify_messages) {
  if (notify_messages > 0) {
    obs_.notify.count += notify_messages;
    if (obs_.notify.example.empty()) obs_.notify.example = "sd_notify() to NOTIFY_SOCKET";
  }
}

bool Observer::handle(int listener, const seccomp_notif& n) {
  const auto tid = static_cast<pid_t>(n.pid);
  if (against_base_) {
    // Under BASE the answer is the enforcing run's wherever the base filter
    // only makes libc fall back (clone3, openat2: ENOSYS); everything else
    // it would deny goes on, and the writer finds it beyond the base.
    Verdict v = evaluate(plan_.seccomp, n.data);
    if (v.filter == 0 && !v.kill() && v.denied() && v.err() == ENOSYS) {
      respond(listener, n.id, ENOSYS, false);
      return true;
    }
  }
  record(listener, tid, n);
  respond(listener, n.id, 0, true);
  return true;
}

void Observer::observe(int listener, const seccomp_notif& n) { record(listener, static_cast<pid_t>(n.pid), n); }

void Observer::record(int listener, pid_t tid, const seccomp_notif& n) {
  const seccomp_data& d = n.data;
  std::unique_ptr<char, decltype(&free)> cname(seccomp_syscall_resolve_num_arch(d.arch, d.nr), &free);
  const std::string name = cname ? cname.get() : "syscall " + std::to_string(d.nr);
  TaskIds ids = task_ids(tid);
  const std::string who = " in pid " + std::to_string(ids.jail_pid) + " (" + task_comm(tid) + ")";
  const pid_t tgid = ids.tgid > 0 ? ids.tgid : tid;
  TaskFiles files(tid);
  // Facts are gathered here and kept only if the caller still waits
  // afterwards (its pid, cwd and fds were the caller's while we read).
  Observations o;
  std::string call = name + "()";
  auto cap = [&](const char* c, const std::string& why) { o.capabilities[c].add(why + who); };

  if (const PathCall* pc = path_call(name)) {
    std::string first;
    for (const PathArg& a : pc->args) {
      if (a.path < 0) continue;
      uint64_t ptr = d.args[a.path];
      std::string raw = ptr ? read_string(tid, ptr, 4096) : "";
      int dirfd = a.dirfd < 0 ? AT_FDCWD : as_int(d.args[a.dirfd]);
      std::string abs;
      if (raw.empty() && (pc->flags == PathFlags::EmptyPathOk || (ptr == 0 && name == "utimensat"))) {
        abs = files.fd_path(dirfd);  // the fd itself (AT_EMPTY_PATH)
      } else {
        abs = files.absolute(dirfd, raw);
      }
      if (abs.empty()) continue;
      unsigned access = a.access;
      bool directory = pc->flags == PathFlags::Directory;
      if (pc->flags == PathFlags::Open) access = open_access(d.args[a.path + 1]);
      if (pc->flags == PathFlags::OpenHow) {
        uint64_t flags = 0;
        if (read_memory(tid, d.args[2], &flags, sizeof flags)) access = open_access(flags);
      }
      if (pc->flags == PathFlags::AccessMode && (d.args[a.path + 1] & W_OK)) access |= kWrite;
      if (pc->flags == PathFlags::Unlinkat && (d.args[2] & AT_REMOVEDIR)) directory = true;
      bool is_dir = false;
      int err = files.lookup(abs, &is_dir);
      directory = directory || (err == 0 && is_dir);
      // O_CREAT of a file that is there opens it; of one that is not, makes it.
      // mkdir, mknod, link or symlink of a path that is there fails with
      // EEXIST: nothing made. Only a rename replaces what is there.
      if ((access & kCreate) && err == 0 && !name.starts_with("rename")) access &= ~kCreate;
      if (directory && (access & kRead) && pc->flags != PathFlags::Directory && (pc->flags == PathFlags::Open || pc->flags == PathFlags::OpenHow))
        access |= kList;
      bool creates = (access & kCreate) != 0;
      bool missing = err != 0 && !creates;
      struct stat host{};
      if (missing && against_base_ && ::stat(abs.c_str(), &host) == 0) {
        // Missing in the BASE jail, there on the host: the bind the base
        // lacks, which the writer adds.
        directory = directory || S_ISDIR(host.st_mode);
        missing = false;
      }
      if (first.empty()) first = "\"" + abs + "\"";
      PathUse& u = o.paths[abs];
      u.access |= access;
      u.directory = directory;
      u.missing = missing;
      u.seen.add(name + "(\"" + abs + "\")" + who);
      // The interpreter the kernel opens for an exec, which no call shows.
      if ((access & kExec) && err == 0) {
        std::string interp = exec_interpreter("/proc/" + std::to_string(tid) + "/root" + abs);
        if (!interp.empty() && interp[0] == '/') {
          PathUse& i = o.paths[normalize(interp)];
          i.access |= kRead | kExec;
          i.seen.add("the interpreter of " + abs + who);
        }
      }
      // Capabilities the arguments tell.
      if (name == "chroot") cap("CAP_SYS_CHROOT", name + "(\"" + abs + "\")");
      if ((name == "mknod" || name == "mknodat")) {
        uint64_t mode = d.args[a.path + 1];
        if (S_ISCHR(mode) || S_ISBLK(mode)) cap("CAP_MKNOD", name + "(\"" + abs + "\")");
      }
      if (name == "acct") cap("CAP_SYS_PACCT", name + "()");
      if (name == "swapon") cap("CAP_SYS_ADMIN", name + "()");
      if (name == "chown" || name == "lchown" || name == "fchownat") {
        int ua = name == "fchownat" ? 2 : 1;
        auto uid = static_cast<uid_t>(d.args[ua]);
        auto gid = static_cast<gid_t>(d.args[ua + 1]);
        struct stat st{};
        std::string in_root = "/proc/" + std::to_string(tid) + "/root" + abs;
        if (::lstat(in_root.c_str(), &st) == 0) {
          TaskCreds c = task_creds(tid);
          bool other_owner = uid != static_cast<uid_t>(-1) && uid != st.st_uid;
          bool other_group = gid != static_cast<gid_t>(-1) && gid != st.st_gid &&
                             (c.fsuid != st.st_uid || !c.in_group(gid));
          if (other_owner || other_group) cap("CAP_CHOWN", name + "(\"" + abs + "\")");
        }
      }
      if (name == "chmod" || name == "fchmodat" || name == "fchmodat2") {
        struct stat st{};
        std::string in_root = "/proc/" + std::to_string(tid) + "/root" + abs;
        if (::stat(in_root.c_str(), &st) == 0 && task_creds(tid).fsuid != st.st_uid)
          cap("CAP_FOWNER", name + "(\"" + abs + "\")");
      }
    }
    call = name + "(" + first + ")";
  } else if (name == "fchmod" || name == "fchown") {
    std::string p = files.fd_path(as_int(d.args[0]));
    if (!p.empty()) {
      PathUse& u = o.paths[p];
      u.access |= kWrite;
      u.seen.add(name + "(\"" + p + "\")" + who);
    }
    call = name + "(\"" + p + "\")";
  } else if (name == "socket" || name == "socketpair") {
    int family = as_int(d.args[0]);
    int type = as_int(d.args[1]) & 0xf;
    call = name + "(" + family_name(family) + ")";
    o.families[family_name(family)].add(call + who);
    if (family == AF_PACKET || (type == SOCK_RAW && (family == AF_INET || family == AF_INET6)))
      cap("CAP_NET_RAW", call);
  } else if (name == "bind" || name == "connect") {
    SocketAddress sa = read_sockaddr(tid, d.args[1], d.args[2]);
    call = name + "(" + sa.text + ")";
    if (sa.family == AF_INET || sa.family == AF_INET6) {
      int type = socket_type(tgid, as_int(d.args[0]));
      bool udp = type == SOCK_DGRAM;
      if (name == "bind") {
        (udp ? o.udp_binds : o.tcp_binds)[sa.port].add(call + who);
        if (sa.port != 0 && sa.port < kPrivilegedPort) {
          // By address: the daemon's own bind() is what ListenViaBind=
          // answers, so the learned socket must be the very same one.
          // A copy of the socket shows IPV6_V6ONLY; its close could be
          // the last, and linger. Only a payload learning natively (root's
          // own, or the caller's) gets one; in a base's jail, the default.
          bool v6only = sa.family == AF_INET6 &&
                        (against_base_ ? read_small("/proc/sys/net/ipv6/bindv6only").starts_with("1")
                                       : socket_v6only(tgid, as_int(d.args[0])) == 1);
          o.listens[std::string(udp ? "udp:" : "tcp:") + sa.text + (v6only ? " v6only" : "")].add(call + who);
          long start = std::atol(read_small("/proc/sys/net/ipv4/ip_unprivileged_port_start").c_str());
          if (sa.port < start) cap("CAP_NET_BIND_SERVICE", call);
        }
      } else {
        o.connects[std::string(udp ? "udp:" : "tcp:") + sa.text].add(call + who);
      }
    } else if (sa.family == AF_UNIX && !sa.text.empty()) {
      if (name == "connect") o.connects["unix:" + sa.text].add(call + who);
      if (!sa.unix_path.empty()) {
        std::string abs = files.absolute(AT_FDCWD, sa.unix_path);
        int err = abs.empty() ? ENOENT : files.lookup(abs);
        if (!abs.empty()) {
          PathUse& u = o.paths[abs];
          u.access |= name == "bind" ? kCreate : kWrite;
          u.missing = name == "connect" && err != 0 && !(against_base_ && access(abs.c_str(), F_OK) == 0);
          u.seen.add(call + who);
        }
      }
    }
  } else if (name == "listen" || name == "accept" || name == "accept4" || name == "getsockname") {
    if (passed_socket(tid, as_int(d.args[0]))) o.socket_activation.add(name + "(fd " + std::to_string(as_int(d.args[0])) + ")" + who);
  } else if (name == "clone" || name == "clone3" || name == "fork" || name == "vfork" || name == "unshare" ||
             name == "setns") {
    uint64_t flags = 0;
    if (name == "clone" || name == "unshare") flags = d.args[0];
    if (name == "clone3") {
      uint64_t f = 0;
      if (d.args[1] >= sizeof f && read_memory(tid, d.args[0], &f, sizeof f)) flags = f;
    }
    if (name == "setns") flags = d.args[1];
    bool process = name == "fork" || name == "vfork" || ((name == "clone" || name == "clone3") && !(flags & CLONE_THREAD));
    if (process) ++o.processes;
    uint64_t ns = flags & (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET |
                           CLONE_NEWCGROUP | CLONE_NEWTIME);
    std::string list;
    for (const auto& s : namespace_names(ns)) list += (list.empty() ? "" : "|") + s;
    call = name + "(" + list + ")";
    for (const auto& s : namespace_names(ns)) o.namespaces[s].add(call + who);
    // Namespaces made with a user namespace need no capability of the host's.
    if (!(ns & CLONE_NEWUSER) && (name == "setns" || ns)) cap("CAP_SYS_ADMIN", call);
  } else if (name.starts_with("setres") || name.starts_with("setre") || name == "setuid" || name == "setgid" ||
             name == "setfsuid" || name == "setfsgid") {
    bool gid = name.find("gid") != std::string::npos;
    int nargs = name.starts_with("setres") ? 3 : name.starts_with("setre") ? 2 : 1;
    TaskCreds c = task_creds(tid);
    std::string args;
    bool other = false;
    for (int i = 0; i < nargs; ++i) {
      auto id = static_cast<uint32_t>(d.args[i]);
      if (id == static_cast<uint32_t>(-1)) continue;
      args += (args.empty() ? "" : ", ") + std::to_string(id);
      o.users[std::string(gid ? "gid:" : "uid:") + std::to_string(id)].add(name + "(" + std::to_string(id) + ")" + who);
      bool own = gid ? (id == c.rgid || id == c.egid || id == c.sgid) : (id == c.ruid || id == c.euid || id == c.suid);
      other = other || !own;
    }
    call = name + "(" + args + ")";
    if (other) cap(gid ? "CAP_SETGID" : "CAP_SETUID", call);
  } else if (name == "setgroups") {
    call = name + "(" + std::to_string(d.args[0]) + " groups)";
    cap("CAP_SETGID", call);
  } else if (name == "setrlimit" || name == "prlimit64") {
    int res = as_int(name == "setrlimit" ? d.args[0] : d.args[1]);
    uint64_t ptr = name == "setrlimit" ? d.args[1] : d.args[2];
    rlimit want{};
    std::string r = rlimit_name(res);
    if (ptr && !r.empty() && read_memory(tid, ptr, &want, sizeof want)) {
      auto num = [](rlim_t v) { return v == RLIM_INFINITY ? std::string("infinity") : std::to_string(v); };
      call = name + "(" + r + ", " + num(want.rlim_cur) + ":" + num(want.rlim_max) + ")";
      rlimit have{};
      pid_t target = name == "prlimit64" && as_int(d.args[0]) != 0 ? as_int(d.args[0]) : 0;
      bool known = target == 0 && prlimit(tgid, static_cast<__rlimit_resource>(res), nullptr, &have) == 0;
      // A limit the workload lowers is its own hardening (HAProxy sets
      // NPROC to 0 once its threads run): started with it, it could not
      // start. Only a raise says what it needs.
      if (!known || want.rlim_cur > have.rlim_cur || want.rlim_max > have.rlim_max) {
        o.rlimits[r].add(call + who);
        // The highest it asked for, for LimitNAME= (infinity is the largest).
        uint64_t value = want.rlim_max == RLIM_INFINITY ? UINT64_MAX : want.rlim_max;
        auto [it, fresh] = o.rlimit_values.try_emplace(r, value);
        if (!fresh) it->second = std::max(it->second, value);
      }
      if (known && want.rlim_max > have.rlim_max) cap("CAP_SYS_RESOURCE", call);
    }
  } else if (name == "mmap" || name == "mprotect" || name == "pkey_mprotect") {
    uint64_t prot = d.args[2];
    bool anon = name == "mmap" && (d.args[3] & MAP_ANONYMOUS);
    std::string file = name == "mmap" && !anon ? files.fd_path(as_int(d.args[4])) : "";
    bool wx = (prot & PROT_WRITE) || anon || name != "mmap";
    call = name + "(" + (file.empty() ? std::string() : "\"" + file + "\", ") + "PROT_EXEC" +
           (prot & PROT_WRITE ? "|PROT_WRITE" : "") + ")";
    if (wx) o.write_execute.add(call + who);
    if (!file.empty()) {
      PathUse& u = o.paths[file];
      u.access |= kExec | kRead;
      u.seen.add(call + who);
    }
  } else if (name == "mount" || name == "umount2" || name == "pivot_root" || name == "swapoff") {
    cap("CAP_SYS_ADMIN", call);
  }

  o.syscalls[name].add(call + who);
  if (ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &n.id) != 0) return;
  merge(obs_, o);  // sums the counts and process numbers, widens the rest
}

}  // namespace zjail::learn
