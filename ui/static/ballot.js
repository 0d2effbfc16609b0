// Secret ballots in the browser (proposals/DESIGN.md). The member's
// secrets never leave this browser unless they download them: a ballot
// key pair (ECDSA P-256) and, for each secret vote, the voting token the
// vote's key signed blindly (RFC 9474, RSABSSA-SHA384-PSS-Deterministic).
//
// - On every page that carries [data-ballots] (the dashboard and the
//   proposals' pages of a member), the tokens of every open secret vote
//   are taken at once, so that when a token was taken says nothing of
//   when its ballot is cast.
// - A ballot is sent with credentials "omit": no cookie, nothing that
//   names the member; it is signed by the ballot key.
// - Everything is kept in localStorage under coop.ballot.<proposal>; the
//   member can download it, and import it in another browser.
(function () {
  "use strict";
  var root = document.querySelector("[data-ballots]");
  if (!root) return;
  if (!window.crypto || !window.crypto.subtle || !window.fetch || typeof BigInt === "undefined" || !window.localStorage) {
    var nojs = document.querySelectorAll("[data-secret-nojs]");
    for (var i = 0; i < nojs.length; i++) nojs[i].hidden = false;
    return;
  }
  var subtle = window.crypto.subtle;
  var enc = new TextEncoder();
  var STORE = "coop.ballot.";

  // ---- bytes ----
  function b64(bytes) {
    var s = "";
    bytes = new Uint8Array(bytes);
    for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
    return btoa(s);
  }
  function unb64(s) {
    var bin = atob(s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) % 4));
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  function hex(bytes) {
    bytes = new Uint8Array(bytes);
    var s = "";
    for (var i = 0; i < bytes.length; i++) s += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16);
    return s;
  }
  function concat() {
    var n = 0, i;
    for (i = 0; i < arguments.length; i++) n += arguments[i].length;
    var out = new Uint8Array(n), at = 0;
    for (i = 0; i < arguments.length; i++) { out.set(arguments[i], at); at += arguments[i].length; }
    return out;
  }
  function random(n) { return window.crypto.getRandomValues(new Uint8Array(n)); }
  function toInt(bytes) { return bytes.length ? BigInt("0x" + hex(bytes)) : 0n; }
  function toBytes(x, len) {
    var h = x.toString(16);
    if (h.length % 2) h = "0" + h;
    var out = new Uint8Array(len), raw = h.match(/../g) || [];
    out.set(raw.map(function (b) { return parseInt(b, 16); }), len - raw.length);
    return out;
  }
  function sha(name, data) { return subtle.digest(name, data).then(function (d) { return new Uint8Array(d); }); }

  // ---- RSA arithmetic ----
  function modPow(b, e, m) {
    var r = 1n;
    b %= m;
    while (e > 0n) {
      if (e & 1n) r = (r * b) % m;
      e >>= 1n;
      b = (b * b) % m;
    }
    return r;
  }
  function gcd(a, b) { while (b) { var t = a % b; a = b; b = t; } return a; }
  function modInverse(a, m) {
    var r0 = m, r1 = a % m, t0 = 0n, t1 = 1n;
    while (r1) {
      var q = r0 / r1, r2 = r0 - q * r1, t2 = t0 - q * t1;
      r0 = r1; r1 = r2; t0 = t1; t1 = t2;
    }
    return t0 < 0n ? t0 + m : t0;
  }
  function bitLength(x) { return x.toString(2).length; }

  // MGF1 with SHA-384.
  function mgf1(seed, len) {
    var parts = [], count = Math.ceil(len / 48), chain = Promise.resolve();
    for (var c = 0; c < count; c++) {
      (function (c) {
        chain = chain.then(function () {
          return sha("SHA-384", concat(seed, new Uint8Array([c >>> 24, (c >>> 16) & 255, (c >>> 8) & 255, c & 255]))).then(function (d) { parts.push(d); });
        });
      })(c);
    }
    return chain.then(function () { return concat.apply(null, parts).slice(0, len); });
  }

  // EMSA-PSS-ENCODE (RFC 8017 9.1.1), SHA-384, a salt of 48 bytes.
  function pssEncode(msg, emBits) {
    var emLen = Math.ceil(emBits / 8), salt = random(48), h;
    return sha("SHA-384", msg).then(function (mHash) {
      return sha("SHA-384", concat(new Uint8Array(8), mHash, salt));
    }).then(function (digest) {
      h = digest;
      return mgf1(h, emLen - 48 - 1);
    }).then(function (mask) {
      var db = new Uint8Array(emLen - 48 - 1);
      db[emLen - 48 - 48 - 2] = 1;
      db.set(salt, emLen - 48 - 48 - 1);
      for (var i = 0; i < db.length; i++) db[i] ^= mask[i];
      db[0] &= 0xff >>> (8 * emLen - emBits);
      return concat(db, h, new Uint8Array([0xbc]));
    });
  }

  function tokenMessage(proposal, college, ballotKey) {
    return enc.encode("coop-ballot-token-v1\n" + proposal + "\n" + college + "\n" + b64(ballotKey));
  }
  function proofMessage(proposal, choice, seq, receiptHash) {
    return enc.encode("coop-ballot-v1\n" + proposal + "\n" + choice + "\n" + seq + "\n" + receiptHash);
  }

  function importRSA(publicKey) {
    return subtle.importKey("spki", unb64(publicKey), { name: "RSA-PSS", hash: "SHA-384" }, true, ["verify"]).then(function (key) {
      return subtle.exportKey("jwk", key).then(function (jwk) {
        return { key: key, n: toInt(unb64(jwk.n)), e: toInt(unb64(jwk.e)) };
      });
    });
  }

  // ---- storage ----
  function load(id) {
    try { return JSON.parse(localStorage.getItem(STORE + id) || "null"); } catch (e) { return null; }
  }
  function save(id, s) { localStorage.setItem(STORE + id, JSON.stringify(s)); }

  function api(path, method, body, anonymous) {
    var headers = { "Accept": "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (!anonymous) headers["X-CSRF-Token"] = root.getAttribute("data-csrf");
    return fetch(path, {
      method: method, headers: headers, body: body === undefined ? undefined : JSON.stringify(body),
      credentials: anonymous ? "omit" : "same-origin", cache: "no-store", referrerPolicy: "no-referrer"
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (d) {
        if (!r.ok) {
          var e = new Error((d.error && d.error.message) || String(r.status));
          if (d.error) { e.code = d.error.code; e.reason = d.error.reason; e.params = d.error.params; }
          throw e;
        }
        return d;
      });
    });
  }

  // Blinds a fresh ballot key for vote v; the secrets are saved before
  // anything is sent, so that a request whose answer is lost is sent
  // again with the same blinded message (and gets the same signature).
  function prepare(v) {
    var rsa, pair, ballotKey, state = {};
    return importRSA(v.public_key).then(function (k) {
      rsa = k;
      return subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"]);
    }).then(function (p) {
      pair = p;
      return subtle.exportKey("raw", p.publicKey);
    }).then(function (raw) {
      ballotKey = new Uint8Array(raw);
      return subtle.exportKey("jwk", pair.privateKey);
    }).then(function (jwk) {
      state.jwk = jwk;
      state.ballotKey = b64(ballotKey);
      return pssEncode(tokenMessage(v.proposal, v.college, ballotKey), bitLength(rsa.n) - 1);
    }).then(function (em) {
      var m = toInt(em), n = rsa.n, kLen = Math.ceil(bitLength(n) / 8), r;
      if (gcd(m, n) !== 1n) throw new Error("blind");
      do { r = toInt(random(kLen)) % n; } while (r < 2n || gcd(r, n) !== 1n);
      var z = (m * modPow(r, rsa.e, n)) % n;
      state.blinded = b64(toBytes(z, kLen));
      state.rInv = modInverse(r, n).toString(16);
      return state;
    });
  }

  function finalize(v, pending, blindSig) {
    var s;
    return importRSA(v.public_key).then(function (rsa) {
      var n = rsa.n, kLen = Math.ceil(bitLength(n) / 8);
      s = toBytes((toInt(unb64(blindSig)) * BigInt("0x" + pending.rInv)) % n, kLen);
      return subtle.verify({ name: "RSA-PSS", saltLength: 48 }, rsa.key, s, tokenMessage(v.proposal, v.college, unb64(pending.ballotKey)));
    }).then(function (ok) {
      if (!ok) throw new Error("the vote's signature does not check");
      return { ballotKey: pending.ballotKey, signature: b64(s), jwk: pending.jwk };
    });
  }

  // ensure takes the token of vote v if this browser has none.
  function ensure(v) {
    var s = load(v.proposal) || { v: 1, proposal: v.proposal, college: v.college, title: v.title };
    if (s.token) return Promise.resolve(s);
    if (v.taken && !s.pending) {
      s.elsewhere = true;
      return Promise.resolve(s);
    }
    var p = s.pending ? Promise.resolve(s.pending) : prepare(v).then(function (pending) {
      s.pending = pending;
      save(v.proposal, s);
      return pending;
    });
    return p.then(function (pending) {
      return api("/api/v1/proposals/" + encodeURIComponent(v.proposal) + "/voting-token", "POST", { blinded: pending.blinded }).then(function (d) {
        return finalize(v, pending, d.blind_signature);
      });
    }).then(function (token) {
      s.token = token;
      delete s.pending;
      save(v.proposal, s);
      return s;
    });
  }

  function cast(id, choice) {
    var s = load(id), receipt = hex(random(16)), seq, receiptHash;
    if (!s || !s.token) return Promise.reject(new Error("no token"));
    seq = (s.seq || 0) + 1;
    return sha("SHA-256", enc.encode(receipt)).then(function (h) {
      receiptHash = hex(h);
      return subtle.importKey("jwk", s.token.jwk, { name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
    }).then(function (key) {
      return subtle.sign({ name: "ECDSA", hash: "SHA-256" }, key, proofMessage(id, choice, seq, receiptHash));
    }).then(function (proof) {
      return api("/api/v1/proposals/" + encodeURIComponent(id) + "/secret-ballots", "POST", {
        college: s.college, ballot_key: s.token.ballotKey, signature: s.token.signature,
        choice: choice, seq: seq, receipt_hash: receiptHash, proof: b64(proof)
      }, true);
    }).then(function (d) {
      s.seq = seq; s.choice = choice; s.receipt = receipt; s.pseudonym = d.pseudonym;
      save(id, s);
      return s;
    });
  }

  // ---- the page ----
  var sections = document.querySelectorAll("[data-secret-ballot]");
  function section(id) {
    for (var i = 0; i < sections.length; i++) if (sections[i].getAttribute("data-proposal") === id) return sections[i];
    return null;
  }
  // refusal is a refused request's sentence in the page's language: the
  // sentence the page gives for its reason (data-refusals, else for its
  // code), filled with its parameters; its own message otherwise.
  function refusal(el, err) {
    var sentences = {};
    try { sentences = JSON.parse(el.getAttribute("data-refusals") || "{}"); } catch (e) { sentences = {}; }
    var msg = (err.reason && sentences[err.reason]) || (err.code && sentences["code." + err.code]);
    if (!msg) return err.message;
    var params = err.params || {};
    return msg.replace(/\{(\w+)\}/g, function (all, name) { return Object.prototype.hasOwnProperty.call(params, name) ? params[name] : all; });
  }
  function say(el, key, extra) {
    var st = el.querySelector("[data-secret-status]");
    if (st) st.textContent = el.getAttribute("data-msg-" + key) + (extra ? " " + extra : "");
  }
  function show(el, s) {
    var form = el.querySelector("[data-secret-form]"), rc = el.querySelector("[data-secret-receipt]");
    var dl = el.querySelector("[data-secret-download]");
    if (s && s.token) {
      form.hidden = false;
      dl.hidden = false;
      say(el, s.choice ? "recorded" : "ready");
    } else if (s && s.elsewhere) {
      say(el, "elsewhere");
    }
    if (s && s.receipt) {
      rc.hidden = false;
      rc.querySelector("[data-secret-choice]").textContent = el.getAttribute("data-choice-" + s.choice);
      rc.querySelector("[data-secret-receipt-code]").textContent = s.receipt;
      rc.querySelector("[data-secret-pseudonym]").textContent = s.pseudonym || "";
    }
  }

  for (var i = 0; i < sections.length; i++) {
    (function (el) {
      var id = el.getAttribute("data-proposal");
      el.querySelector("[data-secret-js]").hidden = false;
      el.querySelector("[data-secret-form]").addEventListener("submit", function (ev) {
        ev.preventDefault();
        var picked = el.querySelector("input[name=choice]:checked");
        if (!picked) return;
        var btn = el.querySelector("[data-secret-form] button");
        btn.disabled = true;
        say(el, "sending");
        cast(id, picked.value).then(function (s) { show(el, s); }, function (err) { say(el, "failed", refusal(el, err)); })
          .then(function () { btn.disabled = false; });
      });
      el.querySelector("[data-secret-download]").addEventListener("click", function () {
        var blob = new Blob([localStorage.getItem(STORE + id) || "{}"], { type: "application/json" });
        var a = document.createElement("a");
        a.href = URL.createObjectURL(blob);
        a.download = "coop-ballot-" + id + ".json";
        document.body.appendChild(a);
        a.click();
        a.remove();
      });
      el.querySelector("[data-secret-import]").addEventListener("change", function (ev) {
        var file = ev.target.files && ev.target.files[0];
        if (!file) return;
        file.text().then(function (text) {
          var s = JSON.parse(text);
          if (!s || s.proposal !== id || !s.token) throw new Error(el.getAttribute("data-msg-badfile"));
          save(id, s);
          show(el, s);
        }).catch(function (err) { say(el, "failed", err.message); });
      });
      show(el, load(id));
    })(sections[i]);
  }

  // Every token at once, one after another.
  api("/api/v1/me/secret-votes", "GET").then(function (d) {
    var chain = Promise.resolve();
    (d.votes || []).forEach(function (v) {
      chain = chain.then(function () { return ensure(v); }).then(function (s) {
        var el = section(v.proposal);
        if (el) show(el, s);
      }, function (err) {
        var el = section(v.proposal);
        if (el) say(el, "failed", refusal(el, err));
      });
    });
    return chain;
  }).then(function () {
    root.setAttribute("data-ballots-ready", "true");
  }, function () {
    root.setAttribute("data-ballots-ready", "failed");
  });
})();
