// cchub: a stand-in for ankerl::unordered_dense 4.8.1, which is in no package registry. The
// mediasoup worker uses only map<K,V,Hash,Eq>, set<K,Hash,Eq> and hash<T>; the standard containers
// have the same interface for that use (slower, iteration order differs, which the worker does not
// rely on: its unit tests pass with this header).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace ankerl::unordered_dense
{
	template<class T, class Enable = void>
	struct hash : std::hash<T>
	{
	};

	template<
	  class Key,
	  class T,
	  class Hash      = hash<Key>,
	  class KeyEqual  = std::equal_to<Key>,
	  class Allocator = std::allocator<std::pair<const Key, T>>>
	using map = std::unordered_map<Key, T, Hash, KeyEqual, Allocator>;

	template<class Key, class Hash = hash<Key>, class KeyEqual = std::equal_to<Key>, class Allocator = std::allocator<Key>>
	using set = std::unordered_set<Key, Hash, KeyEqual, Allocator>;
} // namespace ankerl::unordered_dense
