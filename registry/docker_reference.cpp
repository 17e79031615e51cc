#include <registry/docker_reference.h>

#include <algorithm>
#include <cctype>

namespace sifkit::registry {

namespace {

// Limits of distribution/reference.
constexpr std::size_t k_max_name_length = 255;
constexpr std::size_t k_max_tag_length = 128;

bool is_lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool is_alnum(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0;
}

// A path component: [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*
bool valid_path_component(std::string_view c) {
  if (c.empty() || !is_lower_alnum(c.front()) || !is_lower_alnum(c.back())) {
    return false;
  }
  for (std::size_t i = 0; i < c.size();) {
    if (is_lower_alnum(c[i])) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < c.size() && !is_lower_alnum(c[j])) {
      ++j;
    }
    std::string_view sep = c.substr(i, j - i);
    bool ok = sep == "." || sep == "_" || sep == "__" ||
              std::all_of(sep.begin(), sep.end(), [](char ch) { return ch == '-'; });
    if (!ok) {
      return false;
    }
    i = j;
  }
  return true;
}

// host(.host)*(:port)? with host labels [a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?, or a
// bracketed IPv6 address.
bool valid_domain(std::string_view d) {
  std::string_view host = d;
  std::size_t colon = d.front() == '[' ? d.find("]:") : d.rfind(':');
  if (colon != std::string_view::npos) {
    colon += d.front() == '[' ? 1 : 0;
    std::string_view port = d.substr(colon + 1);
    if (port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return false;
    }
    host = d.substr(0, colon);
  }
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    std::string_view ip = host.substr(1, host.size() - 2);
    return std::all_of(ip.begin(), ip.end(), [](char c) {
      return std::isxdigit(static_cast<unsigned char>(c)) || c == ':';
    });
  }
  std::size_t start = 0;
  while (start <= host.size()) {
    std::size_t dot = host.find('.', start);
    std::string_view label =
        host.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || !is_alnum(label.front()) || !is_alnum(label.back()) ||
        !std::all_of(label.begin(), label.end(), [](char c) { return is_alnum(c) || c == '-'; })) {
      return false;
    }
    if (dot == std::string_view::npos) {
      break;
    }
    start = dot + 1;
  }
  return true;
}

// [\w][\w.-]{0,127}
bool valid_tag(std::string_view t) {
  auto word = [](char c) { return is_alnum(c) || c == '_'; };
  return !t.empty() && t.size() <= k_max_tag_length && word(t.front()) &&
         std::all_of(t.begin(), t.end(), [&](char c) { return word(c) || c == '.' || c == '-'; });
}

std::unexpected<Error> bad(std::string_view text, std::string why) {
  std::string shown(text.substr(0, 200));
  return fail(ErrorKind::usage, "invalid image reference \"" + shown + "\": " + std::move(why));
}

} // namespace

Result<DockerReference> DockerReference::parse(std::string_view text) {
  DockerReference ref;
  if (text.empty()) {
    return bad(text, "empty reference");
  }
  std::string_view rest = text;
  if (auto at = rest.find('@'); at != std::string_view::npos) {
    auto digest = Digest::parse(rest.substr(at + 1));
    if (!digest) {
      return bad(text, "digest must be sha256:<64 lower-case hex digits>");
    }
    ref.digest = *digest;
    rest = rest.substr(0, at);
  }
  std::size_t last_slash = rest.rfind('/');
  std::size_t colon = rest.rfind(':');
  if (colon != std::string_view::npos &&
      (last_slash == std::string_view::npos || colon > last_slash)) {
    std::string_view tag = rest.substr(colon + 1);
    if (!valid_tag(tag)) {
      return bad(text, "tag must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
    }
    ref.tag = tag;
    rest = rest.substr(0, colon);
  }
  std::string_view name = rest;
  std::size_t slash = name.find('/');
  std::string_view first = name.substr(0, slash);
  bool has_domain =
      slash != std::string_view::npos &&
      (first.find_first_of(".:") != std::string_view::npos || first == "localhost" ||
       std::any_of(first.begin(), first.end(), [](char c) { return c >= 'A' && c <= 'Z'; }));
  if (has_domain) {
    if (!valid_domain(first)) {
      return bad(text, "\"" + std::string(first) + "\" is not a valid registry host[:port]");
    }
    ref.domain = first;
    ref.repository = name.substr(slash + 1);
  } else {
    ref.domain = k_docker_hub_domain;
    ref.repository = name;
  }
  if (ref.domain == "index.docker.io") {
    ref.domain = k_docker_hub_domain;
  }
  if (ref.repository.empty()) {
    return bad(text, "missing repository name");
  }
  if (std::any_of(ref.repository.begin(), ref.repository.end(),
                  [](char c) { return c >= 'A' && c <= 'Z'; })) {
    return bad(text, "repository name must be lowercase");
  }
  std::size_t start = 0;
  while (true) {
    std::size_t end = ref.repository.find('/', start);
    std::string_view component = std::string_view(ref.repository).substr(start, end - start);
    if (!valid_path_component(component)) {
      return bad(text, "repository path component \"" + std::string(component) +
                           "\" must match [a-z0-9]+((.|_|__|-+)[a-z0-9]+)*");
    }
    if (end == std::string::npos) {
      break;
    }
    start = end + 1;
  }
  if (ref.domain == k_docker_hub_domain && ref.repository.find('/') == std::string::npos) {
    ref.repository = "library/" + ref.repository;
  }
  if (ref.domain.size() + 1 + ref.repository.size() > k_max_name_length) {
    return bad(text, "repository name longer than 255 characters");
  }
  if (ref.tag.empty() && ref.digest.empty()) {
    ref.tag = "latest";
  }
  return ref;
}

std::string DockerReference::registry_host() const {
  return domain == k_docker_hub_domain ? std::string(k_docker_hub_host) : domain;
}

std::string DockerReference::manifest_reference() const {
  return digest.empty() ? tag : digest.text();
}

std::string DockerReference::to_string() const {
  std::string out = domain + "/" + repository;
  if (!tag.empty()) {
    out += ":" + tag;
  }
  if (!digest.empty()) {
    out += "@" + digest.text();
  }
  return out;
}

} // namespace sifkit::registry
