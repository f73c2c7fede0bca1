// libnss_zjailfail.so.2: a group backend that is down, as sssd or an LDAP
// backend is when its server cannot be reached. Every lookup answers
// NSS_STATUS_UNAVAIL with EIO, so getgrnam_r() fails instead of answering.
// pam_subjects.sh puts it after "files" in a private nsswitch.conf.
#include <grp.h>
#include <nss.h>

#include <cerrno>
#include <cstddef>

extern "C" {

nss_status _nss_zjailfail_getgrnam_r(const char*, group*, char*, size_t, int* errnop) {
  *errnop = EIO;
  return NSS_STATUS_UNAVAIL;
}

nss_status _nss_zjailfail_getgrgid_r(gid_t, group*, char*, size_t, int* errnop) {
  *errnop = EIO;
  return NSS_STATUS_UNAVAIL;
}

nss_status _nss_zjailfail_initgroups_dyn(const char*, gid_t, long*, long*, gid_t**, long, int* errnop) {
  *errnop = EIO;
  return NSS_STATUS_UNAVAIL;
}

}  // extern "C"
