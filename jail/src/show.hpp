// Internal to `zjail --show`: writing the resolved profile back in profile
// syntax, each value preceded by the file:line that set it. show.cpp prints
// the directives it knows; a directive table row with a `show` function
// prints its own (directives_*.cpp), with these helpers.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "syntax.hpp"
#include "zjail/profile.hpp"
#include "zjail/text.hpp"

namespace zjail {

class ShowWriter {
 public:
  // One word of a list: consecutive words with the same origin share a line,
  // the way they were most likely written.
  void word(const Origin& o, std::string_view key, std::string_view prefix, std::string_view word) {
    if (key == key_ && o.file == origin_.file && o.line == origin_.line) {
      out_.insert(out_.size() - 1, " " + std::string(word));
      return;
    }
    set(o, key, std::string(prefix) + std::string(word));
    key_ = key;
    origin_ = o;
  }
  // A comment quotes file names: escaped, so that none can end the comment
  // and write a directive of its own into the output.
  void comment(const std::string& text) {
    out_ += "# " + escape_unprintable(text) + "\n";
    key_ = {};
  }
  void raw(std::string_view key, std::string_view value) {
    out_ += std::string(key) + "=" + std::string(value) + "\n";
    key_ = {};
  }
  void set(const Origin& o, std::string_view key, std::string_view value) {
    comment("set at " + o.str());
    raw(key, value);
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_ = "[Jail]\n";
  std::string_view key_;  // the directive and origin of the last line, while words may join it
  Origin origin_;
};

template <class T, class F>
void scalar(ShowWriter& w, const char* key, const Setting<T>& s, F format) {
  if (s.is_set()) w.set(s.origin, key, format(*s.value));
}

inline void text(ShowWriter& w, const char* key, const Setting<std::string>& s) {
  scalar(w, key, s, [](const std::string& v) { return v; });
}

inline void boolean(ShowWriter& w, const char* key, const Setting<bool>& s) {
  scalar(w, key, s, [](bool b) { return std::string(b ? "yes" : "no"); });
}

inline void words(ShowWriter& w, const char* key, const std::vector<Item<std::string>>& items) {
  for (const auto& i : items) w.word(i.origin, key, "", quote_word(i.value));
}

// `sample`: a name that validates, for the one list state that needs two lines.
// `implicit`: a name the first assignment of an allow list adds by itself
// (SystemCallFilter='s @default); a list that does not start with it first
// takes it out again, so that the names that follow are the whole list.
inline void name_list(ShowWriter& w, const char* key, const NameList& l, const char* sample,
                      const char* implicit = nullptr) {
  if (!l.is_set) return;
  const char* prefix = l.invert ? "~" : "";
  if (implicit && !l.invert && (l.names.empty() || l.names.front().value != implicit)) {
    w.comment(std::string("an allow list without the ") + implicit + " its first line adds");
    w.raw(key, implicit);
    w.raw(key, std::string("~") + implicit);
    for (const auto& i : l.names) w.word(i.origin, key, prefix, quote_word(i.value));
    return;
  }
  for (const auto& i : l.names) w.word(i.origin, key, prefix, quote_word(i.value));
  if (!l.names.empty()) return;
  if (l.invert) {
    w.comment("a deny list of nothing");
    w.raw(key, "~");
  } else {
    // "Key=" would reset the list to unset, which is not the same thing.
    w.comment("an allow list emptied by removals");
    w.raw(key, sample);
    w.raw(key, std::string("~") + sample);
  }
}


}  // namespace zjail
