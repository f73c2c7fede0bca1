// closest_match()/did_you_mean(): the suggestion behind every "did you mean".
#include <gtest/gtest.h>

#include "zjail/suggest.hpp"

namespace zjail {
namespace {

const std::vector<std::string> kDirectives = {"User", "Group", "PrivateNetwork", "PrivateTmp",
                                              "SystemCallFilter", "SystemCallLog"};

TEST(Suggest, OneEditAwayIsFound) {
  EXPECT_EQ(closest_match("Usr", kDirectives), "User");       // deletion
  EXPECT_EQ(closest_match("Userr", kDirectives), "User");     // insertion
  EXPECT_EQ(closest_match("Gruop", kDirectives), "Group");    // transposition
  EXPECT_EQ(closest_match("PrivateTnp", kDirectives), "PrivateTmp");  // substitution
}

TEST(Suggest, TranspositionCountsAsOneEdit) {
  // Plain Levenshtein would call "opne" two edits from "open" and find nothing
  // for a four-letter word.
  EXPECT_EQ(closest_match("opne", {"openat", "open", "close"}), "open");
}

TEST(Suggest, CaseIsIgnoredButTheCandidateIsReturnedAsSpelt) {
  EXPECT_EQ(closest_match("user", kDirectives), "User");
  EXPECT_EQ(closest_match("SYSTEMCALLFILTER", kDirectives), "SystemCallFilter");
}

TEST(Suggest, TheClosestCandidateWins) {
  EXPECT_EQ(closest_match("SystemCallLgo", kDirectives), "SystemCallLog");
  EXPECT_EQ(closest_match("PrivateNetwrok", kDirectives), "PrivateNetwork");
}

TEST(Suggest, NothingPlausibleGivesNothing) {
  EXPECT_EQ(closest_match("Frobnicate", kDirectives), "");
  EXPECT_EQ(closest_match("Foo", kDirectives), "");   // three edits from "User" is not a typo
  EXPECT_EQ(closest_match("", kDirectives), "");
  EXPECT_EQ(closest_match("User", {}), "");
}

TEST(Suggest, LongWordsAllowUpToThreeEdits) {
  EXPECT_EQ(closest_match("@sytem-servic", {"@system-service", "@basic-io"}), "@system-service");
  EXPECT_EQ(closest_match("@sys-serv", {"@system-service"}), "");
}

TEST(Suggest, DidYouMeanFormatsTheSuggestion) {
  EXPECT_EQ(did_you_mean("Usr", kDirectives), " (did you mean 'User'?)");
  EXPECT_EQ(did_you_mean("Frobnicate", kDirectives), "");
}

}  // namespace
}  // namespace zjail
