#pragma once
// -R: one command per line of stdin, as -S writes them ("-A -t 198.18.0.100:80 -s rr"). Words split on
// blanks, a word "ipvsadm" is dropped (so "ipvsadm -A ..." lines work), empty lines are skipped, and, unlike
// stock ipvsadm, a line whose first word starts with '#' is a comment.
//
// A line that does not parse stops the restore with its exit code, as stock ipvsadm does. A change that
// fulcrumd refuses is reported and the next line runs; the exit code is then 255 (stock returns the last
// line's result, which can hide an earlier failure).

#include <cstdio>
#include <string>
#include <vector>

#include "run.hpp"

namespace fulcrum::ipvsadm {

// The words of one line.
std::vector<std::string> restore_words(const std::string& line);

int restore(std::FILE* in, Session& session);

}  // namespace fulcrum::ipvsadm
