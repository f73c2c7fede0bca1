// libmnl and libnftnl, loaded on demand: only a launch that builds a
// network (network.hpp) needs them, and linking them would add two more
// libraries to every launch's start-up (docs/network.md, "Libraries").
// Each function is named once, in the lists below; the loader and the
// table of pointers are made from them.
#pragma once

#include <libmnl/libmnl.h>
#include <libnftnl/batch.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>

#include "dl.hpp"
#include "zjail/result.hpp"

#define ZJAIL_MNL_FUNCTIONS(X)                                                                              \
  X(mnl_nlmsg_put_header) X(mnl_nlmsg_put_extra_header) X(mnl_nlmsg_get_payload) X(mnl_nlmsg_ok)            \
  X(mnl_nlmsg_next) X(mnl_attr_put) X(mnl_attr_put_u8) X(mnl_attr_put_u16) X(mnl_attr_put_u32)              \
  X(mnl_attr_put_strz) X(mnl_attr_nest_start) X(mnl_attr_nest_end) X(mnl_attr_parse)                       \
  X(mnl_attr_get_type) X(mnl_attr_get_payload) X(mnl_attr_get_payload_len) X(mnl_attr_get_u32)             \
  X(mnl_attr_type_valid) X(mnl_cb_run) X(mnl_nlmsg_batch_start) X(mnl_nlmsg_batch_next)                    \
  X(mnl_nlmsg_batch_current) X(mnl_nlmsg_batch_head) X(mnl_nlmsg_batch_size) X(mnl_nlmsg_batch_stop)

#define ZJAIL_NFTNL_FUNCTIONS(X)                                                                            \
  X(nftnl_batch_begin) X(nftnl_batch_end) X(nftnl_nlmsg_build_hdr) X(nftnl_table_alloc) X(nftnl_table_free) \
  X(nftnl_table_set_str) X(nftnl_table_set_u32) X(nftnl_table_nlmsg_build_payload) X(nftnl_chain_alloc)    \
  X(nftnl_chain_free) X(nftnl_chain_set_str) X(nftnl_chain_set_u32) X(nftnl_chain_set_s32)                 \
  X(nftnl_chain_nlmsg_build_payload) X(nftnl_rule_alloc) X(nftnl_rule_free) X(nftnl_rule_set_str)           \
  X(nftnl_rule_set_u32) X(nftnl_rule_get_u32) X(nftnl_rule_add_expr) X(nftnl_rule_nlmsg_build_payload) X(nftnl_expr_alloc)        \
  X(nftnl_expr_free) X(nftnl_expr_set) X(nftnl_expr_set_u8) X(nftnl_expr_set_u16) X(nftnl_expr_set_u32)     \
  X(nftnl_expr_set_str) X(nftnl_rule_nlmsg_parse) X(nftnl_rule_snprintf)

namespace zjail {

struct NetLibs {
  DlHandle mnl, nftnl;
#define ZJAIL_NL_POINTER(f) decltype(&::f) f = nullptr;
  ZJAIL_MNL_FUNCTIONS(ZJAIL_NL_POINTER)
  ZJAIL_NFTNL_FUNCTIONS(ZJAIL_NL_POINTER)
#undef ZJAIL_NL_POINTER
};

// Loads both libraries (Step::Network errors name the one missing).
Result<NetLibs> load_net_libs();

}  // namespace zjail
