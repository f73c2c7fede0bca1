// The supervisor's handover (handover.hpp): what crosses the exec, packed
// into a sealed memfd and unpacked by the zjail the small supervisor execs.
// The memfd is made by zjail alone and sealed before the exec, so the zjail
// that reads it reads what the one before it wrote; its layout is checked
// anyway (magic, lengths within what is left), as any input is.
#include "zjail/handover.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>
#include <vector>

#include "zjail/memory.hpp"
#include "zjail/supervise_env.hpp"

extern char** environ;

namespace zjail {
namespace {

constexpr char kMagic[] = "zjail-supervision-1";
constexpr size_t kMaxState = 16 << 20;
constexpr unsigned kSeals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;

int64_t monotonic_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

class Out {
 public:
  void u64(uint64_t v) { buf_.append(reinterpret_cast<const char*>(&v), sizeof v); }
  void i64(int64_t v) { u64(static_cast<uint64_t>(v)); }
  void str(std::string_view s) {
    u64(s.size());
    buf_.append(s);
  }
  const std::string& data() const { return buf_; }

 private:
  std::string buf_;
};

class In {
 public:
  explicit In(std::string_view d) : rest_(d) {}
  uint64_t u64() {
    uint64_t v = 0;
    if (rest_.size() < sizeof v) return fail(), 0;
    std::memcpy(&v, rest_.data(), sizeof v);
    rest_.remove_prefix(sizeof v);
    return v;
  }
  int64_t i64() { return static_cast<int64_t>(u64()); }
  std::string str() {
    uint64_t n = u64();
    if (n > rest_.size()) return fail(), std::string();
    std::string s(rest_.substr(0, n));
    rest_.remove_prefix(n);
    return s;
  }
  // A count of items of at least `unit` bytes each: never more than fit.
  size_t count(size_t unit) {
    uint64_t n = u64();
    if (n > rest_.size() / unit) return fail(), 0;
    return n;
  }
  bool done() const { return ok_ && rest_.empty(); }
  void fail() {
    ok_ = false;
    rest_ = {};
  }
 private:
  std::string_view rest_;
  bool ok_ = true;
};

void put_pairs(Out& o, const std::vector<std::pair<std::string, std::string>>& v) {
  o.u64(v.size());
  for (const auto& [a, b] : v) o.str(a), o.str(b);
}

std::vector<std::pair<std::string, std::string>> get_pairs(In& in) {
  std::vector<std::pair<std::string, std::string>> v(in.count(16));
  for (auto& [a, b] : v) a = in.str(), b = in.str();
  return v;
}

void put_denial(Out& o, const Denial& d) {
  o.str(d.call), o.str(d.name), o.i64(d.pid), o.str(d.comm), o.str(d.directive), o.str(d.directive_name);
  o.u64(d.kill), o.i64(d.err), o.u64(d.repeats);
}

Denial get_denial(In& in) {
  Denial d;
  d.call = in.str(), d.name = in.str(), d.pid = static_cast<pid_t>(in.i64()), d.comm = in.str();
  d.directive = in.str(), d.directive_name = in.str();
  d.kill = in.u64() != 0, d.err = static_cast<int>(in.i64()), d.repeats = in.u64();
  return d;
}

// The filters and their sources, as get_plan() reads them into a Plan.
void put_filters(Out& o, const std::vector<std::vector<sock_filter>>& seccomp,
                 const std::vector<DenialSource>& sources) {
  o.u64(seccomp.size());
  for (const auto& f : seccomp) o.str(std::string_view(reinterpret_cast<const char*>(f.data()), f.size() * sizeof f[0]));
  o.u64(sources.size());
  for (const auto& s : sources) {
    o.str(s.directive), o.u64(s.allow_list);
    put_pairs(o, s.names), put_pairs(o, s.removed);
    o.u64(s.origins.size());
    for (const auto& [a, b] : s.origins) o.str(a), o.str(b);
  }
}

void get_plan(In& in, Plan& p) {
  p.seccomp.resize(in.count(8));
  for (auto& f : p.seccomp) {
    std::string raw = in.str();
    f.resize(raw.size() / sizeof(sock_filter));
    if (raw.size() % sizeof(sock_filter) != 0 || f.empty()) return in.fail();
    std::memcpy(f.data(), raw.data(), raw.size());
  }
  p.denial_sources.resize(in.count(40));
  for (auto& s : p.denial_sources) {
    s.directive = in.str(), s.allow_list = in.u64() != 0;
    s.names = get_pairs(in), s.removed = get_pairs(in);
    for (size_t n = in.count(16); n > 0; --n) {
      std::string a = in.str();
      s.origins[a] = in.str();
    }
  }
}

// Every fd that crosses the exec; -1s are skipped.
Status set_cloexec(std::initializer_list<int> fds, bool on) {
  for (int fd : fds)
    if (fd >= 0 && fcntl(fd, F_SETFD, on ? FD_CLOEXEC : 0) < 0)
      return make_error(Step::Wait, errno, "fd " + std::to_string(fd) + " for the supervisor's handover");
  return {};
}

Result<std::string> read_state(int fd) {
  int seals = fcntl(fd, F_GET_SEALS);
  if (seals < 0 || (static_cast<unsigned>(seals) & kSeals) != kSeals)
    return make_error(Step::Wait, seals < 0 ? errno : EPERM, "the supervisor's state is not a sealed memfd");
  struct stat st {};
  if (fstat(fd, &st) < 0) return make_error(Step::Wait, errno, "the supervisor's state");
  if (st.st_size <= 0 || static_cast<size_t>(st.st_size) > kMaxState)
    return make_error(Step::Wait, EINVAL, "the supervisor's state: size " + std::to_string(st.st_size));
  std::string data(static_cast<size_t>(st.st_size), '\0');
  for (size_t done = 0; done < data.size();) {
    ssize_t n = pread(fd, data.data() + done, data.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return make_error(Step::Wait, n < 0 ? errno : EIO, "reading the supervisor's state");
    done += static_cast<size_t>(n);
  }
  return data;
}

}  // namespace

SupervisorTicket SupervisorTicket::prepare(char** argv) {
  SupervisorTicket t;
  t.argv = argv;
  t.small = open_small_init();
  // The binary this process runs, whatever has become of its path since.
  if (t.small) t.self.reset(open("/proc/self/exe", O_PATH | O_CLOEXEC));
  return t;
}

Status SupervisorCarry::hand_over(Jail& jail, const SignalForwarding& fwd, const NotifyRelay* relay,
                                  const SupervisorTicket& t) {
  const DenialSupervisor& d = jail.denials_;
  const bool relaying = relay && relay->active();
  if (!t.ready() || !t.argv || jail.reaped_ || !jail.pidfd_ || !jail.status_ || !fwd.fd_ ||
      jail.carried_status_ >= 0 || jail.network_.holds_anything() || (relaying && relay->pending()) ||
      d.sink_ || (d.bind_sockets_ && !d.bind_sockets_->empty()) || (d.active() && (!d.filters_ || !d.sources_)))
    return make_error(Step::Wait, EAGAIN, "nothing to hand over to");

  Out o;
  o.str(kMagic);
  o.i64(jail.pid_);
  o.i64(d.payload_);
  o.str(std::string_view(reinterpret_cast<const char*>(&fwd.old_), sizeof fwd.old_));
  o.u64(relaying);
  if (relaying) {
    o.i64(relay->out_.get()), o.i64(relay->lock_.get()), o.u64(relay->received_);
    o.str(relay->path_), o.str(relay->dir_), o.str(relay->upstream_);
  }
  o.u64(d.seen_.size());
  for (const auto& [nr, n] : d.seen_) o.i64(nr), o.u64(n);
  o.u64(d.last_.size());
  for (const auto& [nr, den] : d.last_) o.i64(nr), put_denial(o, den);
  o.str(d.killed_call_);
  if (d.active()) put_filters(o, *d.filters_, *d.sources_);
  else put_filters(o, {}, {});
  o.i64(t.verbosity), o.str(t.profile_name), o.u64(t.notified), o.str(t.cgroup_leaf);
  o.i64(t.backoff), o.i64(monotonic_ms());

  UniqueFd state(memfd_create("zjail-supervision", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!state) return make_error(Step::Wait, errno, "memfd_create for the supervisor's handover");
  for (size_t done = 0; done < o.data().size();) {
    ssize_t n = write(state.get(), o.data().data() + done, o.data().size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return make_error(Step::Wait, n < 0 ? errno : EIO, "writing the supervisor's state");
    done += static_cast<size_t>(n);
  }
  if (fcntl(state.get(), F_ADD_SEALS, kSeals) < 0) return make_error(Step::Wait, errno, "sealing the supervisor's state");

  // The end is the small supervisor's own only where zjail has nothing left
  // to say or remove then.
  bool finish = relaying || !t.cgroup_leaf.empty() || !d.last_.empty() || !d.killed_call_.empty();
  long v[kSuperviseFields] = {};
  v[kStateFd] = state.get();
  v[kSelfFd] = t.self.get();
  v[kSmallFd] = t.small.get();
  v[kPidFd] = jail.pidfd_.get();
  v[kSignalFd] = fwd.fd_.get();
  v[kStatusFd] = jail.status_.get();
  v[kListenerFd] = d.active() ? d.listener_.get() : -1;
  v[kRelayFd] = relaying ? relay->fd_.get() : -1;
  v[kFinishFlag] = finish;
  v[kCarriedStatus] = -1;
  char entry[32 + 12 * kSuperviseFields];
  format_numbers(entry, kSuperviseEnv, v, kSuperviseFields);
  std::vector<char*> env;
  // The caller's environment, less both of zjail-init's roles: a variable
  // the caller left would choose the role or the fds (main.cpp there).
  for (char** e = environ; e && *e; ++e)
    if (!env_entry_is(*e, kSuperviseEnv) && !env_entry_is(*e, kSmallInitEnv)) env.push_back(*e);
  env.push_back(entry);
  env.push_back(nullptr);

  const int out = relaying ? relay->out_.get() : -1, lock = relaying ? relay->lock_.get() : -1;
  auto fds = {state.get(), t.self.get(),      t.small.get(),      jail.pidfd_.get(), fwd.fd_.get(),
              jail.status_.get(), static_cast<int>(v[kListenerFd]), static_cast<int>(v[kRelayFd]), out, lock};
  if (auto st = set_cloexec(fds, false); !st) {
    (void)set_cloexec(fds, true);
    return st;
  }
  execveat(t.small.get(), "", t.argv, env.data(), AT_EMPTY_PATH);
  int err = errno;
  (void)set_cloexec(fds, true);
  return make_error(Step::Wait, err, "exec of zjail-init as the supervisor");
}

Result<ResumedJail> SupervisorCarry::resume(const char* spec, char** argv, DenialReporter report) {
  long v[kSuperviseFields];
  auto malformed = [&](int err, const std::string& why) {
    return make_error(Step::Wait, err, std::string(kSuperviseEnv) + "=" + (spec ? spec : "") + ": " + why);
  };
  if (!spec || !parse_numbers(spec, v, kSuperviseFields)) return malformed(EINVAL, "malformed");
  for (int f : {kStateFd, kSelfFd, kSmallFd, kPidFd, kSignalFd, kStatusFd, kListenerFd, kRelayFd})
    if (v[f] <= STDERR_FILENO && !(v[f] == -1 && (f == kListenerFd || f == kRelayFd)))
      return malformed(EBADF, "not a handover's fds");
  if (v[kCarriedStatus] < -1 || v[kCarriedStatus] > 0xffff) return malformed(EINVAL, "not a wait status");
  // Nothing named here is touched (closed, above all) unless the state is
  // the sealed memfd a handover leaves and reads whole as one.
  ZJAIL_TRY_ASSIGN(auto data, read_state(static_cast<int>(v[kStateFd])));
  In in(data);
  if (in.str() != kMagic) return make_error(Step::Wait, EPROTO, "the supervisor's state: not this zjail's");
  Jail jail;
  jail.pid_ = static_cast<pid_t>(in.i64());
  auto payload = static_cast<pid_t>(in.i64());
  SignalForwarding signals;
  std::string mask = in.str();
  NotifyRelay relay;
  bool relaying = in.u64() != 0;
  long relay_out = -1, relay_lock = -1;
  if (relaying) {
    relay_out = in.i64(), relay_lock = in.i64();
    relay.received_ = in.u64();
    relay.path_ = in.str(), relay.dir_ = in.str(), relay.upstream_ = in.str();
  }
  std::map<int, uint64_t> seen;
  for (size_t n = in.count(16); n > 0; --n) {
    int nr = static_cast<int>(in.i64());
    seen[nr] = in.u64();
  }
  std::map<int, Denial> last;
  for (size_t n = in.count(8); n > 0; --n) {
    int nr = static_cast<int>(in.i64());
    last[nr] = get_denial(in);
  }
  std::string killed_call = in.str();
  auto kept = std::make_unique<Plan>();
  get_plan(in, *kept);
  SupervisorTicket t;
  t.argv = argv;
  t.verbosity = static_cast<int>(in.i64());
  t.profile_name = in.str();
  t.notified = in.u64() != 0;
  t.cgroup_leaf = in.str();
  int backoff = static_cast<int>(in.i64());
  int64_t handed_at = in.i64();
  t.backoff = monotonic_ms() - handed_at >= kQuietAfterMs ? 0 : std::min(std::max(backoff, 0) + 1, kMaxBackoff);
  bool relay_fds_ok = relay_lock > STDERR_FILENO && (relay_out == -1 || relay_out > STDERR_FILENO);
  if (!in.done() || mask.size() != sizeof signals.old_ || relaying != (v[kRelayFd] >= 0) ||
      (relaying && !relay_fds_ok))
    return make_error(Step::Wait, EPROTO, "the supervisor's state: malformed");
  std::memcpy(&signals.old_, mask.data(), mask.size());

  // From here on every fd named is this process's to keep or close.
  UniqueFd state(static_cast<int>(v[kStateFd]));
  t.self.reset(static_cast<int>(v[kSelfFd]));
  t.small.reset(static_cast<int>(v[kSmallFd]));
  UniqueFd pidfd(static_cast<int>(v[kPidFd])), sfd(static_cast<int>(v[kSignalFd]));
  UniqueFd status(static_cast<int>(v[kStatusFd]));
  UniqueFd listener(static_cast<int>(v[kListenerFd]));
  if (relaying) {
    relay.fd_.reset(static_cast<int>(v[kRelayFd]));
    relay.out_.reset(static_cast<int>(relay_out));
    relay.lock_.reset(static_cast<int>(relay_lock));
  }
  state.reset();
  ZJAIL_TRY(set_cloexec({t.self.get(), t.small.get(), pidfd.get(), sfd.get(), status.get(), listener.get(),
                         relay.fd_.get(), relay.out_.get(), relay.lock_.get()},
                        true));
  if (listener) {
    jail.denials_ = DenialSupervisor(std::move(listener), payload, &kept->seccomp, &kept->denial_sources,
                                     std::move(report));
    jail.denials_.seen_ = std::move(seen);
    jail.denials_.last_ = std::move(last);
    jail.denials_.killed_call_ = std::move(killed_call);
  }
  jail.pidfd_ = std::move(pidfd);
  jail.status_ = std::move(status);
  jail.carried_status_ = static_cast<int>(v[kCarriedStatus]);
  signals.fd_ = std::move(sfd);
  signals.active_ = true;
  return ResumedJail{std::move(kept), std::move(jail), std::move(signals), std::move(relay), std::move(t)};
}

Result<ResumedJail> resume_jail(const char* spec, char** argv, DenialReporter report) {
  return SupervisorCarry::resume(spec, argv, std::move(report));
}

}  // namespace zjail
