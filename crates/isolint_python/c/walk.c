// A pre-order walk over a tree-sitter tree that visits the same nodes as `TSTreeCursor`, in the
// same order and with the same field ids, at a constant cost per step.
//
// The cursor keeps only each entry's subtree and index, so every sibling step pops its entry,
// looks the parent's alias sequence up again and re-derives the parent's visibility. Here each
// frame keeps its parent's iteration state (children, alias sequence, production, position,
// structural index), and a step only moves that state on by one child.
//
// This reads tree-sitter's private layouts (subtree.h, language.h, tree.h), so the crate pins
// tree-sitter to the exact version these headers come from.

#include <stdlib.h>

#include "tree_sitter/api.h"
#include "./language.h"
#include "./subtree.h"
#include "./tree.h"

typedef struct {
  // The parent's children; the current entry is `children[child_index]`. The start node is the
  // only child of a parent that does not exist (no alias sequence, no field map).
  const Subtree *children;
  uint32_t child_count;
  uint32_t child_index;
  // Index among the parent's non-extra children, which alias sequences and field maps count.
  uint32_t structural_child_index;
  Length position;
  const TSSymbol *alias_sequence;
  // The parent's production, whose field map `isolint_walk_field_id` reads.
  uint16_t production_id;
  TSSymbol alias;
  bool visible;
} Frame;

// Mirrored by `RawWalk` in walk.rs: keep the two in the same order.
typedef struct {
  TSNode node;
  TSSymbol kind_id;
  // Whether the current node has children at all: lets the caller skip asking a leaf for its first.
  bool has_children;
  const TSTree *tree;
  const TSLanguage *language;
  Frame *frames;
  uint32_t depth;
  uint32_t capacity;
} IsolintWalk;

size_t isolint_walk_size(void) { return sizeof(IsolintWalk); }

static inline Subtree frame_subtree(const Frame *frame) {
  return frame->children[frame->child_index];
}

// Fills in what the frame's current child is: its alias and whether the cursor stops on it.
static inline void settle(Frame *frame) {
  Subtree child = frame_subtree(frame);
  TSSymbol alias = 0;
  if (frame->alias_sequence && !ts_subtree_extra(child)) {
    alias = frame->alias_sequence[frame->structural_child_index];
  }
  frame->alias = alias;
  frame->visible = alias != 0 || ts_subtree_visible(child);
}

// The field of the current node: its own in its parent, else that of the nearest hidden ancestor
// below the visible parent that has one (fields reach a node through the hidden nodes wrapping it).
// Computed on demand: most nodes are never asked.
TSFieldId isolint_walk_field_id(const IsolintWalk *walk) {
  uint32_t top = walk->depth - 1;
  for (uint32_t level = top; level > 0; level--) {
    const Frame *frame = &walk->frames[level];
    if (level != top && frame->visible) break;
    if (ts_subtree_extra(frame_subtree(frame))) break;
    const TSFieldMapEntry *field_map, *field_map_end;
    ts_language_field_map(walk->language, frame->production_id, &field_map, &field_map_end);
    for (const TSFieldMapEntry *entry = field_map; entry < field_map_end; entry++) {
      if (!entry->inherited && entry->child_index == frame->structural_child_index) {
        return entry->field_id;
      }
    }
  }
  return 0;
}

// Moves the frame to its parent's next child; false at the end of the children.
static inline bool advance(Frame *frame) {
  Subtree current = frame_subtree(frame);
  if (!ts_subtree_extra(current)) frame->structural_child_index++;
  frame->position = length_add(frame->position, ts_subtree_size(current));
  frame->child_index++;
  if (frame->child_index >= frame->child_count) return false;
  frame->position = length_add(frame->position, ts_subtree_padding(frame_subtree(frame)));
  return true;
}

static inline bool is_hidden_with_visible_children(const Frame *frame) {
  return !frame->visible && ts_subtree_visible_child_count(frame_subtree(frame)) > 0;
}

static inline void set_current(IsolintWalk *walk, const Frame *frame) {
  walk->node = (TSNode){
    {frame->position.bytes, frame->position.extent.row, frame->position.extent.column, frame->alias},
    &frame->children[frame->child_index],
    walk->tree,
  };
  Subtree subtree = frame_subtree(frame);
  walk->has_children = ts_subtree_child_count(subtree) > 0;
  TSSymbol symbol = frame->alias ? frame->alias : ts_subtree_symbol(subtree);
  // The public symbol, as `ts_node_symbol` gives it: the error symbol has no entry in the map.
  walk->kind_id = symbol == ts_builtin_sym_error
    ? symbol
    : walk->language->public_symbol_map[symbol];
}

static Frame *push(IsolintWalk *walk) {
  if (walk->depth == walk->capacity) {
    uint32_t capacity = walk->capacity * 2;
    Frame *frames = realloc(walk->frames, capacity * sizeof(Frame));
    if (!frames) abort();
    walk->frames = frames;
    walk->capacity = capacity;
  }
  return &walk->frames[walk->depth++];
}

void isolint_walk_init(IsolintWalk *walk, TSNode start) {
  walk->tree = start.tree;
  walk->language = start.tree->language;
  // Deep enough for most walks of one node's children, which `named_children` starts per node.
  walk->capacity = 8;
  walk->frames = malloc(walk->capacity * sizeof(Frame));
  if (!walk->frames) abort();
  walk->depth = 1;
  Frame *frame = &walk->frames[0];
  *frame = (Frame){
    .children = (const Subtree *)start.id,
    .child_count = 1,
    .child_index = 0,
    .structural_child_index = 0,
    .position = {start.context[0], {start.context[1], start.context[2]}},
    .alias_sequence = NULL,
    .production_id = 0,
    .alias = (TSSymbol)start.context[3],
    .visible = true,
  };
  set_current(walk, frame);
}

void isolint_walk_free(IsolintWalk *walk) {
  free(walk->frames);
  walk->frames = NULL;
  walk->depth = 0;
  walk->capacity = 0;
}

// Enters the current entry's first child the cursor would stop on, through hidden children;
// leaves the walk where it was when there is none.
static bool descend(IsolintWalk *walk) {
  uint32_t start_depth = walk->depth;
  for (;;) {
    Subtree parent = frame_subtree(&walk->frames[walk->depth - 1]);
    if (ts_subtree_child_count(parent) == 0) break;
    Length position = walk->frames[walk->depth - 1].position;
    Frame *frame = push(walk);
    *frame = (Frame){
      .children = ts_subtree_children(parent),
      .child_count = parent.ptr->child_count,
      .child_index = 0,
      .structural_child_index = 0,
      .position = position,
      .alias_sequence =
        ts_language_alias_sequence(walk->language, parent.ptr->production_id),
      .production_id = parent.ptr->production_id,
    };
    bool entered = false;
    do {
      settle(frame);
      if (frame->visible) {
        set_current(walk, frame);
        return true;
      }
      if (is_hidden_with_visible_children(frame)) {
        entered = true;
        break;
      }
    } while (advance(frame));
    if (!entered) break;
  }
  walk->depth = start_depth;
  return false;
}

bool isolint_walk_first_child(IsolintWalk *walk) {
  // Most nodes are leaves: say so before setting up a descent.
  if (ts_subtree_child_count(frame_subtree(&walk->frames[walk->depth - 1])) == 0) return false;
  return descend(walk);
}

bool isolint_walk_next_sibling(IsolintWalk *walk) {
  // Look ahead on a copy, so that a failed step leaves the walk where it was.
  uint32_t level = walk->depth - 1;
  while (level > 0) {
    Frame probe = walk->frames[level];
    const Frame *above = &walk->frames[level - 1];
    bool above_is_start = level == 1;
    while (advance(&probe)) {
      settle(&probe);
      if (probe.visible || is_hidden_with_visible_children(&probe)) {
        walk->frames[level] = probe;
        walk->depth = level + 1;
        if (!probe.visible) {
          // A hidden node with visible children always holds a node to stop on; were it not
          // so, the walk stays on the hidden node, as the cursor does.
          descend(walk);
          if (walk->depth == level + 1) set_current(walk, &walk->frames[level]);
        } else {
          set_current(walk, &walk->frames[level]);
        }
        return true;
      }
    }
    // Past the last child of a visible parent: no next sibling.
    if (above_is_start || above->visible) return false;
    level--;
  }
  return false;
}

bool isolint_walk_parent(IsolintWalk *walk) {
  for (uint32_t level = walk->depth - 1; level > 0; level--) {
    uint32_t above = level - 1;
    if (above == 0 || walk->frames[above].visible) {
      walk->depth = above + 1;
      set_current(walk, &walk->frames[above]);
      return true;
    }
  }
  return false;
}
