#!/usr/bin/env python3
"""Writes the small seed corpora under fuzz/ (run from the repository root; the output is
committed, so this only needs running again to change the seeds; GGUF seeds are named .seed
because git ignores *.gguf). Chat-template seeds take the
real templates from the cached models when present."""
import os, struct, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
F = os.path.join(ROOT, "fuzz")

def put(target, name, data):
    d = os.path.join(F, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)

# ---- GGUF -------------------------------------------------------------------------------
U8, I8, U16, I16, U32, I32, F32, BOOL, STR, ARR, U64, I64, F64 = range(13)
FMT = {U8: "<B", I8: "<b", U16: "<H", I16: "<h", U32: "<I", I32: "<i", F32: "<f", BOOL: "<B",
       U64: "<Q", I64: "<q", F64: "<d"}

def s(x):
    b = x.encode()
    return struct.pack("<Q", len(b)) + b

def val(t, v):
    if t == STR:
        return s(v)
    if t == ARR:
        et, items = v
        return struct.pack("<IQ", et, len(items)) + b"".join(val(et, i) for i in items)
    return struct.pack(FMT[t], v)

def gguf(kvs, tensors=(), version=3, align=32):
    out = b"GGUF" + struct.pack("<IQQ", version, len(tensors), len(kvs))
    for k, t, v in kvs:
        out += s(k) + struct.pack("<I", t) + val(t, v)
    data = b""
    infos = b""
    for name, shape, ttype, payload in tensors:
        while len(data) % align:
            data += b"\0"
        infos += s(name) + struct.pack("<I", len(shape)) + b"".join(struct.pack("<Q", d) for d in shape)
        infos += struct.pack("<IQ", ttype, len(data))
        data += payload
    out += infos
    while len(out) % align:
        out += b"\0"
    return out + data

put("FuzzGGUF", "empty.seed", gguf([]))
put("FuzzGGUF", "v2.seed", gguf([("general.architecture", STR, "llama")], version=2))
put("FuzzGGUF", "types.seed", gguf([
    ("general.architecture", STR, "llama"), ("general.name", STR, "seed"),
    ("general.alignment", U32, 32), ("general.file_type", U32, 7),
    ("llama.context_length", U32, 128), ("llama.embedding_length", U64, 8),
    ("llama.block_count", I32, 1), ("llama.attention.head_count", U16, 2),
    ("llama.attention.head_count_kv", U8, 1), ("llama.rope.freq_base", F32, 10000.0),
    ("llama.attention.layer_norm_rms_epsilon", F64, 1e-5), ("x.i8", I8, -1), ("x.i16", I16, -2),
    ("x.i64", I64, -3), ("x.bool", BOOL, 1),
    ("x.arr", ARR, (I32, [1, 2, 3])), ("x.nested", ARR, (ARR, [(F32, [1.0]), (STR, ["a"])])),
]))
f32 = lambda n: struct.pack("<%df" % n, *[i * 0.25 for i in range(n)])
put("FuzzGGUF", "tensors.seed", gguf([("general.architecture", STR, "llama")], [
    ("token_embd.weight", [4, 2], 0, f32(8)),
    ("output_norm.weight", [8], 1, b"\0\x3c" * 8),                        # F16
    ("blk.0.attn_q.weight", [32, 1], 8, struct.pack("<e", 0.5) + bytes(range(32))),  # Q8_0
    ("blk.0.ffn_down.weight", [256], 12, bytes(144)),                     # Q4_K
]))
bpe_tokens = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "a", "b", "c", "Ġ", "Ġa", "ab", "Ċ", "é", "Ã©"]
chatml = ("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] "
          "+ '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}")
put("FuzzGGUF", "bpe-vocab.seed", gguf([
    ("general.architecture", STR, "llama"),
    ("tokenizer.ggml.model", STR, "gpt2"), ("tokenizer.ggml.pre", STR, "smollm"),
    ("tokenizer.ggml.tokens", ARR, (STR, bpe_tokens)),
    ("tokenizer.ggml.token_type", ARR, (I32, [3, 3, 3] + [1] * (len(bpe_tokens) - 3))),
    ("tokenizer.ggml.merges", ARR, (STR, ["Ġ a", "a b"])),
    ("tokenizer.ggml.bos_token_id", U32, 1), ("tokenizer.ggml.eos_token_id", U32, 2),
    ("tokenizer.ggml.add_bos_token", BOOL, 0), ("tokenizer.chat_template", STR, chatml),
]))
spm_tokens = ["<unk>", "<s>", "</s>", "<0x0A>", "<0x41>", "▁", "▁a", "a", "b", "<start_of_turn>", "<end_of_turn>"]
put("FuzzGGUF", "spm-vocab.seed", gguf([
    ("general.architecture", STR, "gemma3"),
    ("tokenizer.ggml.model", STR, "llama"),
    ("tokenizer.ggml.tokens", ARR, (STR, spm_tokens)),
    ("tokenizer.ggml.scores", ARR, (F32, [-float(i) for i in range(len(spm_tokens))])),
    ("tokenizer.ggml.token_type", ARR, (I32, [2, 3, 3, 6, 6, 1, 1, 1, 1, 4, 4])),
    ("tokenizer.ggml.bos_token_id", U32, 1), ("tokenizer.ggml.eos_token_id", U32, 2),
    ("tokenizer.ggml.unknown_token_id", U32, 0), ("tokenizer.ggml.add_space_prefix", BOOL, 0),
    ("tokenizer.chat_template", STR, "{{ bos_token }}{% for m in messages %}<start_of_turn>{{ m['role'] }}\n"
                                     "{{ m['content'] }}<end_of_turn>\n{% endfor %}"),
]))

# ---- Tokenizer: first byte = mode flags (see Sources/FuzzTokenizer) ----------------------
texts = ["Hello, world!", " the quick brown fox   jumps\n\n\tover 1234567 dogs.",
         "<|im_start|>user\nhi<|im_end|>\n<start_of_turn>model\n", "Ünïcödé — 日本語テキスト 🙂👍🏽 עברית",
         "def f(x):\n    return x**2  # comment\n", "I'm can't we'll 've 're 'd", "\u00a0\u200b\ufeff\r\n"]
for i, t in enumerate(texts):
    for flags in (0x00, 0x07):
        put("FuzzTokenizer", "text%d-%02x" % (i, flags), bytes([flags]) + t.encode())
put("FuzzTokenizer", "invalid-utf8", b"\x00abc\xff\xfe\xc3(\xe2\x82 \xf0\x9f\x98")
put("FuzzTokenizer", "decode-ids", bytes([0x78]) + bytes(range(64)))
put("FuzzTokenizer", "decode-raw", bytes([0x48]) + b"\xff\xff\x00\x80\x01\x00\x02\x00")

# ---- Chat templates: template \0 arch-or-name \0 (role byte + text)* ----------------------
def chat(template, name, msgs, flags=1):
    return bytes([flags]) + b"\0".join([template.encode(), name.encode()] + [bytes([r]) + m.encode() for r, m in msgs])

conv = [(0, "You are helpful."), (1, "Hi there"), (2, " Hello! "), (1, "Again?")]
templates = {
    "chatml": chatml,
    "llama3": "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' %}{{ content }}{% endfor %}",
    "mistral": "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% else %}{{ message['content'] + eos_token}}{% endif %}{% endfor %}",
    "llama2sys": "{% if messages[0]['role'] == 'system' %}<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n{% endif %}[INST] {{ content }} [/INST]",
    "zephyr": "{% for message in messages %}<|{{ message['role'] }}|>\\n{{ message['content'] }}</s>{% endfor %}<|assistant|>",
    "phi3": "{% for message in messages %}<|{{ message['role'] }}|>\\n{{ message['content'] }}<|end|>\\n{% endfor %}",
    "default-system": "{% if messages[0]['role'] != 'system' %}<|im_start|>system\\nYou are a helpful AI assistant named SmolLM<|im_end|>\\n{% endif %}<|im_start|>",
}
for name, t in templates.items():
    put("FuzzChatTemplate", name, chat(t, "", conv))
put("FuzzChatTemplate", "arch-gemma3", chat("", "gemma3", conv, 3))
put("FuzzChatTemplate", "override", chat("", "mistral-v7-tekken", conv, 7))
try:
    sys.path.insert(0, os.path.expanduser("~/.cache/quantty/pylib"))
    import gguf as G
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    for fn in ("SmolLM2-135M-Instruct.Q4_1.gguf", "gemma-3-270m-q4_k_m.gguf"):
        p = os.path.join(cache, "quantty/models", fn)
        if os.path.exists(p):
            r = G.GGUFReader(p)
            fld = r.fields.get("tokenizer.chat_template")
            if fld is not None:
                t = bytes(fld.parts[fld.data[0]]).decode()
                put("FuzzChatTemplate", "real-" + fn.split(".")[0].split("-q")[0], chat(t, "", conv))
except Exception as e:
    print("no real templates:", e, file=sys.stderr)
# The Jinja interpreter: the sixteen real templates of ../shared/fixtures/templates when present
# (flags 3: thinking switch on), and constructs they do not use.
jinja_dir = os.path.join(ROOT, "..", "shared", "fixtures", "templates")
if os.path.isdir(jinja_dir):
    for fn in sorted(os.listdir(jinja_dir)):
        if fn.endswith(".jinja"):
            put("FuzzChatTemplate", "jinja-" + fn[:-6], chat(open(os.path.join(jinja_dir, fn), encoding="utf-8").read(), "<s>", conv, 3))
jinja_seeds = {
    "jinja-macro-call": "{% macro w(x, y=2) %}<{{ caller(x) }}{{ y }}{{ varargs }}{{ kwargs }}>{% endmacro %}{% call(v) w(1, 3, 4, z=5) %}{{ v }}{% endcall %}",
    "jinja-namespace-loop": "{% set ns = namespace(n=0) %}{% for m in messages if m.role != 'system' %}{% if loop.index is even %}{% continue %}{% endif %}{% set ns.n = ns.n + m.content|length %}{{ loop.index0 }}{{ loop.cycle('a', 'b') }}{% else %}none{% endfor %}{{ ns.n }}",
    "jinja-filters": "{% filter upper %}{{ messages|map(attribute='content')|join(', ') }}{% endfilter %}{{ messages|selectattr('role', 'equalto', 'user')|list|length }}{{ messages[::-1]|first|tojson(indent=2) }}{{ messages|tojson(separators=(',', ':')) }}{{ ('a b ' * 3).split()|unique|list }}",
    "jinja-set-block": "{% set x | trim %}  {{ messages[0].content.strip().lower().replace('a', 'b') }}  {% endset %}{{ x ~ (1 if x else 2) }}{% raw %}{{ not parsed }}{% endraw %}{{ strftime_now('%d %b %Y') }}",
    "jinja-limits": "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{% for i in range(100) %}{{ 'x' * 1000 }}{% endfor %}{{ f(0) }}",
}
for name, t in jinja_seeds.items():
    put("FuzzChatTemplate", name, chat(t, "", conv))

# ---- models.toml and themes --------------------------------------------------------------
put("FuzzCatalog", "shipped.toml", open(os.path.join(ROOT, "models.toml"), "rb").read())
put("FuzzCatalog", "minimal.toml", 'default = "m"\n[models.m]\nname = "M"\n[models.m.levels.Q8_0]\nfile = "m.gguf"\n')
put("FuzzCatalog", "full.toml", '''default = "m:Q4_K_M"
[models.m]
name = "M"
template = "llama3"
system_prompt = """multi
line"""
context_length = 4096
default_level = "q4_k_m"
[models.m.sampling]
temperature = 0.7
top_k = 40
top_p = 0.9
min_p = 0.05
repeat_penalty = 1.1
seed = 42
[models.m.levels.Q8_0]
file = "sub/m.gguf"
sha256 = "0000000000000000000000000000000000000000000000000000000000000000"
pip = ["pkg-a==1.0", "pkg_b==2.0.post1+local"]
members = ["a/m.part0", "b/m.part1"]
[models.m.levels.Q4_K_M]
file = "m-q4.gguf"
quantize_from = "Q8_0"
[models.m.levels.F16]
file = "~/m-f16.gguf"
''')
put("FuzzCatalog", "hostile.toml", '''# Values a hostile folder's models.toml tries (issue 13): each must be refused by the parser.
[models.m.levels.Q8_0]
file = "../../.bashrc"
sha256 = "0000000000000000000000000000000000000000000000000000000000000000"
pip = ["./evilpkg", "--index-url=http://evil.example/simple", "pkg @ file:///tmp/x", "pkg>=1"]
members = ["a/m.part0"]
[models.m.levels.Q4_0]
file = "/etc/passwd"
pip = ["pkg==1.0"]
members = ["a/m"]
''')
for t in ("dark", "light", "high-contrast"):
    put("FuzzTheme", t + ".toml", open(os.path.join(ROOT, "themes", t + ".toml"), "rb").read())
put("FuzzTheme", "mixed.toml", 'name = "x"\n[colors]\ntext = "bright_red"\nbackground = 17\naccent = "#A0b1C2"\nmuted = "default"\nborder = " Grey "\n')
put("FuzzTheme", "color", "bright-blue")
