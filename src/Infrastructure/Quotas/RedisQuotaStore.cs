using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using StackExchange.Redis;
using Wrapper.Application.Quotas;
using Wrapper.Domain.Chat;

namespace Wrapper.Infrastructure.Quotas;

/// <summary>
/// The counters in Redis, shared by every instance. One round trip per check: a Lua script reads the client's counters,
/// decides, and (when it admits) counts the request and the reserved tokens and records the reservation, atomically.
/// A client's checks that arrive while one of its calls is on its way share the next call (one script call decides them
/// in turn), so under load a round trip serves many requests and Redis works once per batch, not per request.
/// The correction is a second script that applies a reservation's difference at most once: it deletes the reservation's
/// key and applies the difference only if that key was still there; one call corrects any number of one client's
/// reservations. Keys carry TTLs (the end of their window plus a minute for late corrections; reservations an hour),
/// and all keys of a client share one hash slot (<c>{client-hash}</c>) so the scripts also run on clustered Redis
/// (Azure Managed Redis).
/// </summary>
/// <remarks>Keys, under <see cref="RedisOptions.KeyPrefix"/> <c>quota:{h}:</c> with <c>h</c> the first 16 hex digits of the
/// SHA-256 of the client partition (no key name or address in Redis): <c>rpm:&lt;minute&gt;</c>, <c>tpm:&lt;minute&gt;</c>,
/// <c>q:&lt;period&gt;</c>, <c>r:&lt;reservation id&gt;</c>. StackExchange.Redis sends a script in full once per server and by
/// its SHA-1 (<c>EVALSHA</c>) after that, again in full when the server has forgotten it (a restart, <c>SCRIPT FLUSH</c>).</remarks>
public sealed class RedisQuotaStore
{
    public const string StoreName = "redis";

    /// <summary>How long a window's keys outlive the window, for corrections of answers that end after it.</summary>
    private static readonly TimeSpan Grace = TimeSpan.FromMinutes(1);

    private static readonly TimeSpan ReservationLifetime = TimeSpan.FromHours(1);

    /// <summary>Above this many clients the key cache starts again (a flood of anonymous addresses only).</summary>
    private const int CachedClients = 10_000;

    // Decides any number of one client's reservations in one window, in order, each against the counts the ones before
    // it left, exactly as that many calls of one reservation each would (the script runs atomically).
    // KEYS: requests, minute tokens, period tokens, then each reservation's key. ARGV: minute keys' expiry (unix ms),
    // period key's expiry (unix ms), reservation lifetime (ms), then per reservation: tokens, request limit, token limit,
    // quota, and 1 when it was admitted already (by an instance's view, ClientCounterViews) and is only to be counted.
    // Returns per reservation {refusal (0 none, 1 requests, 2 tokens per minute, 3 quota), requests, minute tokens,
    // period tokens}.
    // A counter's expiry is set by the call that created it (the count equals this call's own increment), in the same
    // script, so no counter exists without one; later calls leave it. Corrections only change counters that exist
    // (EXISTS), so they never create one.
    private const string ReserveScript = """
        local now = redis.call('MGET', KEYS[1], KEYS[2], KEYS[3])
        local r = tonumber(now[1] or '0')
        local t = tonumber(now[2] or '0')
        local q = tonumber(now[3] or '0')
        local dr, dt, dq = 0, 0, 0
        local out = {}
        for i = 1, (#ARGV - 3) / 5 do
          local a = 3 + (i - 1) * 5
          local tokens = tonumber(ARGV[a + 1])
          local rpm = tonumber(ARGV[a + 2])
          local tpm = tonumber(ARGV[a + 3])
          local quota = tonumber(ARGV[a + 4])
          local decide = ARGV[a + 5] == '0'
          local refusal = 0
          if decide and rpm > 0 and r + 1 > rpm then refusal = 1
          elseif decide and tpm > 0 and tokens > 0 and t > 0 and t + tokens > tpm then refusal = 2
          elseif decide and quota > 0 and tokens > 0 and q + tokens > quota then refusal = 3
          else
            if rpm > 0 then r = r + 1; dr = dr + 1 end
            if tokens > 0 then
              if tpm > 0 then t = t + tokens; dt = dt + tokens end
              if quota > 0 then q = q + tokens; dq = dq + tokens end
              redis.call('SET', KEYS[3 + i], tokens, 'PX', ARGV[3])
            end
          end
          out[#out + 1] = refusal
          out[#out + 1] = r
          out[#out + 1] = t
          out[#out + 1] = q
        end
        if dr > 0 and redis.call('INCRBY', KEYS[1], dr) == dr then redis.call('PEXPIREAT', KEYS[1], ARGV[1]) end
        if dt > 0 and redis.call('INCRBY', KEYS[2], dt) == dt then redis.call('PEXPIREAT', KEYS[2], ARGV[1]) end
        if dq > 0 and redis.call('INCRBY', KEYS[3], dq) == dq then redis.call('PEXPIREAT', KEYS[3], ARGV[2]) end
        return out
        """;

    // KEYS: per correction, its minute tokens, period tokens and reservation (3 keys each, all of one client).
    // ARGV: per correction, the real usage. Returns how many were applied now (the others had been already, or expired).
    private const string CorrectScript = """
        local applied = 0
        for i = 1, #ARGV do
          local k = (i - 1) * 3
          local reserved = redis.call('GET', KEYS[k + 3])
          if reserved then
            redis.call('DEL', KEYS[k + 3])
            local delta = tonumber(ARGV[i]) - tonumber(reserved)
            if delta ~= 0 then
              if redis.call('EXISTS', KEYS[k + 1]) == 1 then redis.call('INCRBY', KEYS[k + 1], delta) end
              if redis.call('EXISTS', KEYS[k + 2]) == 1 then redis.call('INCRBY', KEYS[k + 2], delta) end
            end
            applied = applied + 1
          end
        end
        return applied
        """;

    /// <summary>Most reservations decided in one script call.</summary>
    public const int MaxBatch = 128;

    private readonly string _prefix;
    private readonly ConcurrentDictionary<string, ClientKeys> _keys = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lane> _lanes = new(StringComparer.Ordinal);
    private readonly ClientCounterViews? _views;
    private readonly TimeProvider _time;

    /// <param name="keyPrefix">Prefix of every key.</param>
    /// <param name="views">Told the counters of every answer, when given.</param>
    /// <param name="time">The clock the views are told the answers' time by.</param>
    public RedisQuotaStore(string keyPrefix, ClientCounterViews? views = null, TimeProvider? time = null)
    {
        _prefix = keyPrefix + "quota:";
        _views = views;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Reserves <paramref name="request"/> in one round trip. While a call for the same client is on its way,
    /// the client's further reservations wait for it and then go together, in one script call (at most
    /// <see cref="MaxBatch"/>): under load a round trip serves many requests, alone it serves one at once. Each is decided
    /// in turn, as separate calls would be.</summary>
    public Task<QuotaDecision> ReserveAsync(IDatabase database, QuotaRequest request, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(request);
        var pending = new PendingReservation(request, now, admittedAs: null);
        return Enqueue(request.Client, [pending]) is { } lane ? SendFirstAsync(database, lane, pending) : pending.Decision.Task;
    }

    /// <summary>Counts requests of one client that were admitted already (by <see cref="ClientCounterViews"/>), whatever
    /// the counters say, each reservation kept under its given id: queued in the client's lane as one batch, so they go
    /// in one script call (a call of the client's on its way is waited for, as for any reservation).</summary>
    public async Task ReserveAdmittedAsync(IDatabase database, IReadOnlyList<(QuotaRequest Request, DateTimeOffset Now, string Id)> admitted)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(admitted);
        if (admitted.Count == 0)
        {
            return;
        }

        var client = admitted[0].Request.Client;
        var pending = new List<PendingReservation>(admitted.Count);
        foreach (var (request, now, id) in admitted)
        {
            if (!string.Equals(request.Client, client, StringComparison.Ordinal))
            {
                throw new ArgumentException("Reservations sent together must all be of one client (one hash slot).", nameof(admitted));
            }

            pending.Add(new PendingReservation(request, now, id));
        }

        var decided = Task.WhenAll(pending.ConvertAll(p => p.Decision.Task));
        if (Enqueue(client, CollectionsMarshal.AsSpan(pending)) is { } lane)
        {
            await SendQueuedAsync(database, lane, once: true).ConfigureAwait(false);
        }

        await decided.ConfigureAwait(false);
    }

    /// <summary>Queues reservations of one client in its lane; the lane when the caller is to send (none was on its way),
    /// else null (the call on its way sends them next).</summary>
    private Lane? Enqueue(string client, ReadOnlySpan<PendingReservation> pending)
    {
        while (true)
        {
            var lane = _lanes.GetOrAdd(client, static client => new Lane(client));
            lock (lane)
            {
                if (lane.Retired)
                {
                    continue; // went idle and was let go since it was looked up: take the client's current lane
                }

                lane.Queue.AddRange(pending);
                if (lane.Sending)
                {
                    return null;
                }

                lane.Sending = true;
                return lane;
            }
        }
    }

    /// <summary>The caller that found its client's lane idle sends what is queued (its own reservation, and any that came
    /// meanwhile) and has its answer without a thread switch; whatever queued up during that call is sent on in the
    /// background.</summary>
    private async Task<QuotaDecision> SendFirstAsync(IDatabase database, Lane lane, PendingReservation own)
    {
        await SendQueuedAsync(database, lane, once: true).ConfigureAwait(false);
        return await own.Decision.Task.ConfigureAwait(false);
    }

    private async Task SendQueuedAsync(IDatabase database, Lane lane, bool once)
    {
        while (TakeBatch(lane) is { } batch)
        {
            await DecideAsync(database, batch).ConfigureAwait(false);
            if (once)
            {
                bool more;
                lock (lane)
                {
                    more = lane.Queue.Count > 0;
                    if (!more)
                    {
                        Idle(lane);
                    }
                }

                if (more)
                {
                    _ = Task.Run(() => SendQueuedAsync(database, lane, once: false));
                }

                return;
            }
        }
    }

    /// <summary>The next batch of a lane (its oldest reservations, at most <see cref="MaxBatch"/>); null, and the lane
    /// let go, when none is waiting. A lane that is not sending has nothing queued.</summary>
    private List<PendingReservation>? TakeBatch(Lane lane)
    {
        lock (lane)
        {
            if (lane.Queue.Count == 0)
            {
                Idle(lane);
                return null;
            }

            if (lane.Queue.Count <= MaxBatch)
            {
                var all = lane.Queue;
                lane.Queue = [];
                return all;
            }

            var batch = lane.Queue.GetRange(0, MaxBatch);
            lane.Queue.RemoveRange(0, MaxBatch);
            return batch;
        }
    }

    /// <summary>Lets an idle lane go (under its lock), so that a lane exists only while its client has a call on its
    /// way: no lane is kept per client that came once.</summary>
    private void Idle(Lane lane)
    {
        lane.Sending = false;
        lane.Retired = true;
        _lanes.TryRemove(new KeyValuePair<string, Lane>(lane.Client, lane));
    }

    /// <summary>Decides one batch of one client's reservations (one script call per window among them) and completes
    /// each one's task with its decision, or with the failure.</summary>
    private async Task DecideAsync(IDatabase database, List<PendingReservation> batch)
    {
        try
        {
            var first = batch[0];
            var window = WindowOf(first);
            if (batch.TrueForAll(p => WindowOf(p) == window))
            {
                await DecideWindowAsync(database, batch).ConfigureAwait(false);
            }
            else
            {
                // A minute or period boundary fell inside the batch: each window's keys in their own call.
                foreach (var group in batch.GroupBy(WindowOf))
                {
                    await DecideWindowAsync(database, group.ToList()).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex)
        {
            foreach (var pending in batch)
            {
                pending.Decision.TrySetException(ex);
            }
        }
    }

    private static (long Minute, string Period) WindowOf(PendingReservation pending) =>
        (QuotaWindows.Minute(pending.Now).Id, QuotaWindows.Period(pending.Now, pending.Request.Limits.QuotaPeriod).Id);

    private async Task DecideWindowAsync(IDatabase database, List<PendingReservation> batch)
    {
        var first = batch[0];
        var minute = QuotaWindows.Minute(first.Now);
        var period = QuotaWindows.Period(first.Now, first.Request.Limits.QuotaPeriod);
        var keys = KeysOf(first.Request.Client, minute.Id, period.Id);
        var scriptKeys = new RedisKey[3 + batch.Count];
        scriptKeys[0] = keys.Requests;
        scriptKeys[1] = keys.MinuteTokens;
        scriptKeys[2] = keys.PeriodTokens;
        var args = new RedisValue[3 + (5 * batch.Count)];
        args[0] = keys.MinuteExpiry;
        args[1] = (period.EndsAt + Grace).ToUnixTimeMilliseconds();
        args[2] = (long)ReservationLifetime.TotalMilliseconds;
        var ids = new string[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            var request = batch[i].Request;
            ids[i] = batch[i].AdmittedAs ?? Guid.NewGuid().ToString("N");
            scriptKeys[3 + i] = keys.Reservation(ids[i]);
            args[3 + (5 * i)] = request.Tokens;
            args[4 + (5 * i)] = request.Limits.RequestsPerMinute;
            args[5 + (5 * i)] = request.Limits.TokensPerMinute;
            args[6 + (5 * i)] = request.Limits.TokenQuota;
            args[7 + (5 * i)] = batch[i].AdmittedAs is null ? 0 : 1;
        }

        var result = (RedisResult[]?)await database.ScriptEvaluateAsync(ReserveScript, scriptKeys, args).ConfigureAwait(false);
        if (result is null || result.Length != 4 * batch.Count)
        {
            throw new RedisException("The quota script returned an unexpected answer.");
        }

        // The last answer's counters are the client's after the whole batch.
        var last = 4 * (batch.Count - 1);
        _views?.Observe(first.Request.Client, minute.Id, period.Id, (long)result[last + 1], (long)result[last + 2], (long)result[last + 3],
            _time.GetUtcNow());

        for (var i = 0; i < batch.Count; i++)
        {
            var (request, now) = (batch[i].Request, batch[i].Now);
            var refused = (long)result[4 * i] switch
            {
                1 => QuotaLimit.RequestsPerMinute,
                2 => QuotaLimit.TokensPerMinute,
                3 => QuotaLimit.TokenQuota,
                _ => (QuotaLimit?)null,
            };
            var reservation = refused is null ? new QuotaReservation(ids[i], request.Client, minute.Id, period.Id, request.Tokens, StoreName) : null;
            batch[i].Decision.TrySetResult(QuotaArithmetic.Decide(request, now, refused,
                (long)result[(4 * i) + 1], (long)result[(4 * i) + 2], (long)result[(4 * i) + 3], reservation));
        }
    }

    /// <summary>Applies the correction; true when it was applied now, false when it had been already (or expired).</summary>
    public async Task<bool> CorrectAsync(IDatabase database, QuotaReservation reservation, TokenUsage actual)
    {
        ArgumentNullException.ThrowIfNull(reservation);
        ArgumentNullException.ThrowIfNull(actual);
        return await CorrectAsync(database, [(reservation, actual)]).ConfigureAwait(false) == 1;
    }

    /// <summary>Applies the corrections of <paramref name="corrections"/>, all reservations of one client, in one round
    /// trip; each at most once however often it is sent. Returns how many were applied now.</summary>
    public async Task<int> CorrectAsync(IDatabase database, IReadOnlyList<(QuotaReservation Reservation, TokenUsage Actual)> corrections)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(corrections);
        if (corrections.Count == 0)
        {
            return 0;
        }

        var client = corrections[0].Reservation.Client;
        var keys = new RedisKey[corrections.Count * 3];
        var usage = new RedisValue[corrections.Count];
        for (var i = 0; i < corrections.Count; i++)
        {
            var (reservation, actual) = corrections[i];
            if (!string.Equals(reservation.Client, client, StringComparison.Ordinal))
            {
                throw new ArgumentException("Corrections sent together must all be of one client (one hash slot).", nameof(corrections));
            }

            var own = KeysOf(client, reservation.Minute, reservation.Period);
            keys[i * 3] = own.MinuteTokens;
            keys[(i * 3) + 1] = own.PeriodTokens;
            keys[(i * 3) + 2] = own.Reservation(reservation.Id);
            usage[i] = (long)actual.TotalTokens;
        }

        return (int)(long)await database.ScriptEvaluateAsync(CorrectScript, keys, usage).ConfigureAwait(false);
    }

    /// <summary>The counter keys of a client (tests read them to check the sums).</summary>
    public RedisKey[] Keys(string client, long minute, string period, string reservationId)
    {
        var keys = KeysOf(client, minute, period);
        return [keys.Requests, keys.MinuteTokens, keys.PeriodTokens, keys.Reservation(reservationId)];
    }

    /// <summary>The keys of <paramref name="client"/> in one minute and period: built once per client and window, since
    /// every request of a client in a minute names the same ones.</summary>
    private ClientKeys KeysOf(string client, long minute, string period)
    {
        if (_keys.TryGetValue(client, out var cached) && cached.Minute == minute && string.Equals(cached.Period, period, StringComparison.Ordinal))
        {
            return cached;
        }

        if (_keys.Count >= CachedClients)
        {
            _keys.Clear();
        }

        var slot = cached?.Slot ?? _prefix + "{" + Hash(client) + "}:";
        var keys = new ClientKeys(slot, minute, period);
        // An older window's keys (a late correction) are built but not cached over the current ones.
        if (cached is null || minute >= cached.Minute)
        {
            _keys[client] = keys;
        }

        return keys;
    }

    private static string Hash(string client) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(client)).AsSpan(0, 8));

    /// <summary>A client's reservations waiting for the call on its way, and whether one is.</summary>
    private sealed class Lane(string client)
    {
        public string Client { get; } = client;
        public List<PendingReservation> Queue { get; set; } = [];
        public bool Sending { get; set; }
        public bool Retired { get; set; }
    }

    private sealed class PendingReservation(QuotaRequest request, DateTimeOffset now, string? admittedAs)
    {
        public QuotaRequest Request { get; } = request;
        public DateTimeOffset Now { get; } = now;

        /// <summary>The reservation id of a request admitted already, to be counted only; null for one to decide.</summary>
        public string? AdmittedAs { get; } = admittedAs;

        /// <summary>Completed by whichever call decides it; its awaiters continue on the thread pool, not in that call.</summary>
        public TaskCompletionSource<QuotaDecision> Decision { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class ClientKeys
    {
        public ClientKeys(string slot, long minute, string period)
        {
            Slot = slot;
            Minute = minute;
            Period = period;
            Requests = slot + "rpm:" + minute;
            MinuteTokens = slot + "tpm:" + minute;
            PeriodTokens = slot + "q:" + period;
            MinuteExpiry = (DateTimeOffset.FromUnixTimeSeconds((minute + 1) * 60) + Grace).ToUnixTimeMilliseconds();
        }

        public string Slot { get; }
        public long Minute { get; }
        public string Period { get; }
        public RedisKey Requests { get; }
        public RedisKey MinuteTokens { get; }
        public RedisKey PeriodTokens { get; }
        public long MinuteExpiry { get; }

        public RedisKey Reservation(string id) => Slot + "r:" + id;
    }
}
