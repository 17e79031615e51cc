// The merged tree's children index: found by name after removals, sorted bytewise.
#include <convert/fs_tree.h>

#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>

namespace sifkit::test {

TEST_CASE("children are found by name after many others were added and removed", "[convert]") {
  convert::FsTree tree;
  convert::Node& a = tree.add_node(tree.root(), "a", 0);
  convert::Node& b = tree.add_node(tree.root(), "b", 0);
  constexpr int k_count = 5000;
  for (int i = 0; i < k_count; ++i) {
    tree.add_node(a, fmt::format("n{}", i), 0);
    tree.add_node(b, fmt::format("n{}", i), 0); // the same names under another parent
  }
  // Removing entries shifts others back in the index; each must stay reachable.
  for (int i = 0; i < k_count; i += 3)
    tree.detach(*tree.find_child(a, fmt::format("n{}", i)));
  for (int i = 0; i < k_count; ++i) {
    INFO(i);
    convert::Node* in_a = tree.find_child(a, fmt::format("n{}", i));
    REQUIRE((in_a == nullptr) == (i % 3 == 0));
    if (in_a != nullptr) {
      CHECK(in_a->parent == &a);
      CHECK(in_a->name() == fmt::format("n{}", i));
    }
    convert::Node* in_b = tree.find_child(b, fmt::format("n{}", i));
    REQUIRE(in_b != nullptr);
    CHECK(in_b->parent == &b);
  }
  CHECK(tree.find_child(tree.root(), "n1") == nullptr);
}

TEST_CASE("a moved child is found under its new parent only", "[convert]") {
  convert::FsTree tree;
  convert::Node& from = tree.add_node(tree.root(), "from", 0);
  convert::Node& to = tree.add_node(tree.root(), "to", 0);
  tree.add_node(from, "x", 0);
  tree.add_node(from, "y", 0);
  for (convert::Node* child : tree.detach_children(from))
    tree.attach(to, *child);
  CHECK_FALSE(from.has_children());
  CHECK(tree.find_child(from, "x") == nullptr);
  REQUIRE(tree.find_child(to, "x") != nullptr);
  CHECK(tree.find_child(to, "x")->parent == &to);
  CHECK(tree.find_child(to, "y") != nullptr);
}

TEST_CASE("sorting orders children bytewise, as squashfs lists them", "[convert]") {
  convert::FsTree tree;
  for (std::string name : {"b", "a", "B", "\xc3\xa9", "a.b", "a-b", "aa", "_"})
    tree.add_node(tree.root(), name, 0);
  tree.sort();
  std::vector<std::string> names;
  for (convert::Node* c = tree.root().first_child; c != nullptr; c = c->next_sibling)
    names.emplace_back(c->name());
  CHECK(names == std::vector<std::string>{"B", "_", "a", "a-b", "a.b", "aa", "b", "\xc3\xa9"});
  CHECK(tree.root().first_child->name_data[1] == '\0'); // NUL-terminated for libsquashfs
}

} // namespace sifkit::test
