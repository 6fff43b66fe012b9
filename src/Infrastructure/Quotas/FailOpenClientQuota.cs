using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Wrapper.Application.Common.Interfaces;
using Wrapper.Application.Quotas;
using Wrapper.Domain.Chat;
using Wrapper.Infrastructure.Telemetry;

namespace Wrapper.Infrastructure.Quotas;

/// <summary>
/// <see cref="IClientQuota"/>: Redis when it is configured and answers within <see cref="RedisOptions.TimeoutMilliseconds"/>,
/// else this instance's own counters (<see cref="InMemoryQuotaStore"/>), so that no request ever fails or waits because
/// Redis did. After a failure the instance keeps to its own counters for <see cref="RedisOptions.RetrySeconds"/> before
/// trying Redis again (a slow Redis costs the timeout once per interval, not on every request), logs the fallback at most
/// once a minute, and reports it as degraded (<see cref="IQuotaStoreState"/>, /health/ready). A reservation is corrected
/// in the store that made it: at once in memory, in the background for Redis (the answer never waits for a second round
/// trip; see <see cref="CorrectAsync"/>). Records tokens per client and refusals by limit (<see cref="WrapperMetrics"/>).
/// </summary>
/// <remarks>A client far from all of its limits is admitted without waiting for Redis: every Redis answer tells this
/// instance the client's counters and how fast they grow (<see cref="ClientCounterViews"/>, which says when that is safe),
/// and the request is then reserved in Redis in the background, counted whatever the counters say by then, so that they
/// stay exact. Its correction is sent once that reservation has landed. A client near a limit waits for Redis's decision,
/// as always.</remarks>
public sealed class FailOpenClientQuota : IClientQuota, IQuotaStoreState, IAsyncDisposable, IDisposable
{
    private static readonly TimeSpan LogInterval = TimeSpan.FromMinutes(1);

    /// <summary>How long stopping waits for the queued corrections to be sent.</summary>
    private static readonly TimeSpan FlushOnStop = TimeSpan.FromSeconds(5);

    /// <summary>Most corrections read from the queue at once (one script call per client among them).</summary>
    private const int MaxBatch = 256;

    /// <summary>How long the reservations of requests admitted here, and corrections, wait to be sent with the others
    /// that come meanwhile: what they cost Redis and this instance is shared by every request of that time (each send
    /// made beside a request costs it its share of two cores, not only the sender), and they land at most this much later.</summary>
    public static readonly TimeSpan SendDelay = TimeSpan.FromMilliseconds(10);

    /// <summary>Sends of one batch before it is given up on.</summary>
    private const int CorrectionAttempts = 3;

    private readonly RedisConnection? _redis;
    private readonly RedisQuotaStore _shared;
    private readonly InMemoryQuotaStore _local;
    private readonly RedisOptions _options;
    private readonly TimeProvider _time;
    private readonly WrapperMetrics _metrics;
    private readonly ILogger<FailOpenClientQuota> _logger;
    private readonly object _gate = new();
    private DateTimeOffset _skipRedisUntil;
    private DateTimeOffset _lastLogged = DateTimeOffset.MinValue;
    private bool _down;
    private readonly Channel<PendingCorrection> _corrections = Channel.CreateUnbounded<PendingCorrection>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _sender;
    private long _pendingCorrections;
    private readonly ClientCounterViews _views = new();

    /// <summary>Reservations admitted by <see cref="_views"/> and not yet answered by Redis, by id: the task of the send
    /// that carries them (their corrections wait for it).</summary>
    private readonly ConcurrentDictionary<string, Task> _landing = new(StringComparer.Ordinal);
    private long _pendingLandings;

    /// <summary>Requests admitted here since the last send, and the task that send completes.</summary>
    private readonly object _outboxGate = new();
    private List<Admitted> _outbox = [];
    private TaskCompletionSource _outboxSent = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _disposing;

    public FailOpenClientQuota(IOptions<RedisOptions> options, InMemoryQuotaStore local, TimeProvider time, WrapperMetrics metrics,
        ILogger<FailOpenClientQuota> logger, RedisConnection? redis = null)
    {
        _options = options.Value;
        _redis = _options.Configured ? redis : null;
        _shared = new RedisQuotaStore(_options.KeyPrefix, _views, time);
        _local = local;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        _sender = _redis is null ? Task.CompletedTask : Task.Run(SendQueuedAsync);
    }

    /// <inheritdoc />
    public string Store => _redis is null ? InMemoryQuotaStore.StoreName : Degraded ? "memory-fallback" : RedisQuotaStore.StoreName;

    /// <inheritdoc />
    public bool Degraded
    {
        get
        {
            if (_redis is null)
            {
                return false;
            }

            lock (_gate)
            {
                return _down || _redis.Connected is null;
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask<QuotaDecision> ReserveAsync(QuotaRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (TryAdmitHere(request) is { } admitted)
        {
            return admitted;
        }

        var decision = await TrySharedAsync(request).ConfigureAwait(false) ?? _local.Reserve(request, _time.GetUtcNow());
        if (decision.Refused is { } limit)
        {
            _metrics.RecordQuotaRefusal(Attribute(request.Client), limit);
        }

        return decision;
    }

    /// <inheritdoc />
    /// <remarks>A reservation held in this process is corrected before this returns. One held in Redis is queued and
    /// sent in the background (the answer never waits for it): the queue is drained by one loop that sends each
    /// client's pending corrections in one round trip, retries a failed send (a correction applies at most once however
    /// often it is sent), and is flushed when the service stops (<see cref="DisposeAsync"/>) or on demand
    /// (<see cref="FlushCorrectionsAsync"/>). Until a correction has landed the client's counters hold the estimate:
    /// about <see cref="SendDelay"/> and a round trip of over-counting, never under-counting.</remarks>
    public ValueTask CorrectAsync(QuotaReservation reservation, TokenUsage actual)
    {
        ArgumentNullException.ThrowIfNull(reservation);
        ArgumentNullException.ThrowIfNull(actual);
        if (reservation.Tokens > 0 || actual.TotalTokens > 0)
        {
            _metrics.RecordClientTokens(Attribute(reservation.Client), actual);
        }

        // Nothing was reserved, so nothing is held in either store (neither keeps a reservation of no tokens).
        if (reservation.Tokens == 0)
        {
            return ValueTask.CompletedTask;
        }

        if (reservation.Store != RedisQuotaStore.StoreName)
        {
            _local.Correct(reservation, actual);
            return ValueTask.CompletedTask;
        }

        if (_redis is null)
        {
            return ValueTask.CompletedTask;
        }

        Interlocked.Increment(ref _pendingCorrections);
        if (_landing.TryGetValue(reservation.Id, out var landing) && !landing.IsCompleted)
        {
            // Admitted here and not yet reserved in Redis (a fast answer): queued once it is, since before the correction
            // would find nothing to correct. The answer does not wait for it, unless the service is stopping.
            var queued = QueueWhenLandedAsync(landing, new PendingCorrection(reservation, actual));
            return Volatile.Read(ref _disposing) == 0 ? ValueTask.CompletedTask : new ValueTask(queued);
        }

        if (_corrections.Writer.TryWrite(new PendingCorrection(reservation, actual)))
        {
            return ValueTask.CompletedTask;
        }

        // Stopping: the queue is closed, so this one is sent now.
        return new ValueTask(SendAsync([new PendingCorrection(reservation, actual)]));
    }

    /// <summary>Corrections queued for Redis and not yet sent (or given up on).</summary>
    public long PendingCorrections => Interlocked.Read(ref _pendingCorrections);

    /// <summary>Requests admitted without waiting for Redis whose reservation Redis has not answered yet.</summary>
    public long PendingReservations => Interlocked.Read(ref _pendingLandings);

    /// <summary>Reservations or corrections still to be sent to Redis.</summary>
    private bool Unsent => PendingCorrections > 0 || PendingReservations > 0;

    /// <summary>Waits until every reservation made in the background and every correction queued so far has been sent to
    /// Redis (or given up on, when Redis is down): for the counters to be exact at a given moment (tests, shutdown).</summary>
    public async Task FlushCorrectionsAsync(CancellationToken cancellationToken = default)
    {
        while (Unsent)
        {
            await Task.Delay(1, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Sends the reservations and corrections still on their way, then stops taking corrections into the queue
    /// (all within <see cref="FlushOnStop"/>).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposing, 1) != 0)
        {
            return;
        }

        using var flush = new CancellationTokenSource(FlushOnStop);
        try
        {
            await FlushCorrectionsAsync(flush.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Redis too slow: what is still queued is reported below.
        }

        _corrections.Writer.TryComplete();
        try
        {
            await _sender.WaitAsync(FlushOnStop).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            _logger.LogWarning("{Count} quota corrections were not sent to Redis before the service stopped; those reservations stay counted until their window ends",
                PendingCorrections);
        }
    }

    /// <summary>As <see cref="DisposeAsync"/>, for a host disposed synchronously.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposing, 1) != 0)
        {
            return;
        }

        var until = Environment.TickCount64 + (long)FlushOnStop.TotalMilliseconds;
        while (Unsent && Environment.TickCount64 < until)
        {
            Thread.Sleep(1);
        }

        _corrections.Writer.TryComplete();
        if (!_sender.Wait(FlushOnStop))
        {
            _logger.LogWarning("{Count} quota corrections were not sent to Redis before the service stopped; those reservations stay counted until their window ends",
                PendingCorrections);
        }
    }

    /// <summary>The loop that sends queued corrections: once one comes, whatever queues up within <see cref="SendDelay"/>
    /// (or while the last batch was on its way) goes in the next send, in one round trip per client.</summary>
    private async Task SendQueuedAsync()
    {
        var batch = new List<PendingCorrection>(MaxBatch);
        var reader = _corrections.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            if (Volatile.Read(ref _disposing) == 0)
            {
                await Task.Delay(SendDelay).ConfigureAwait(false); // gather what comes meanwhile into the same send
            }

            batch.Clear();
            while (batch.Count < MaxBatch && reader.TryRead(out var correction))
            {
                batch.Add(correction);
            }

            try
            {
                await PerClientAsync(batch, static c => c.Reservation.Client, SendAsync).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // SendAsync handles Redis failures; anything else must not stop the loop.
                // (each SendAsync has counted its corrections as settled).
                _logger.LogError(ex, "Sending {Count} quota corrections to Redis failed", batch.Count);
            }
        }
    }

    /// <summary>Sends the corrections of one client (retried, since each applies at most once), then counts them as
    /// settled. When Redis stays unreachable they are dropped: those reservations stay counted in Redis until their
    /// window ends, over-counting one answer each, never drifting.</summary>
    private async Task SendAsync(List<PendingCorrection> corrections)
    {
        try
        {
            var pairs = corrections.ConvertAll(c => (c.Reservation, c.Actual));
            for (var attempt = 1; ; attempt++)
            {
                if (_redis?.Connected is not { } connection)
                {
                    return;
                }

                try
                {
                    // Not bounded by the request timeout: the answer has been sent, and a correction that came late still counts.
                    await _shared.CorrectAsync(connection.GetDatabase(), pairs)
                        .WaitAsync(TimeSpan.FromMilliseconds(Math.Max(1000, _options.TimeoutMilliseconds))).ConfigureAwait(false);
                    return;
                }
                catch (Exception ex) when (IsRedisFailure(ex))
                {
                    if (attempt >= CorrectionAttempts)
                    {
                        Failed(ex);
                        return;
                    }
                }

                await Task.Delay(TimeSpan.FromMilliseconds(100 * attempt)).ConfigureAwait(false);
            }
        }
        finally
        {
            Interlocked.Add(ref _pendingCorrections, -corrections.Count);
        }
    }

    /// <summary>The client as a metric attribute: key names and subscriber ids (a bounded set), but never an address.</summary>
    public static string Attribute(string client) => client.StartsWith("ip:", StringComparison.Ordinal) ? "anonymous" : client;

    /// <summary>The decision taken here, without waiting for Redis, when the client's view says it has ample room (see
    /// <see cref="ClientCounterViews"/>); the reservation is then made in Redis in the background. Null otherwise.</summary>
    private QuotaDecision? TryAdmitHere(QuotaRequest request)
    {
        if (_redis?.Connected is not { } connection)
        {
            return null;
        }

        var now = _time.GetUtcNow();
        lock (_gate)
        {
            if (_down)
            {
                return null;
            }
        }

        var minute = QuotaWindows.Minute(now).Id;
        var period = QuotaWindows.Period(now, request.Limits.QuotaPeriod).Id;
        if (!_views.TryAdmit(request, minute, period, now, out var counters))
        {
            return null;
        }

        var id = Guid.NewGuid().ToString("N");
        Interlocked.Increment(ref _pendingLandings);
        bool first;
        lock (_outboxGate)
        {
            if (request.Tokens > 0)
            {
                _landing[id] = _outboxSent.Task; // its correction waits for it
            }

            _outbox.Add(new Admitted(request, now, minute, id));
            first = _outbox.Count == 1;
        }

        if (first)
        {
            _ = LandQueuedAsync(connection);
        }

        var reservation = new QuotaReservation(id, request.Client, minute, period, request.Tokens, RedisQuotaStore.StoreName);
        return QuotaArithmetic.Decide(request, now, null, counters.Requests, counters.MinuteTokens, counters.PeriodTokens, reservation);
    }

    /// <summary>After <see cref="SendDelay"/>, reserves in Redis the requests admitted here meanwhile (counted whatever
    /// the counters say), one script call per client, so that a request's reservation is a share of a round trip off its
    /// path and not a round trip beside it. A failure is Redis's failure as anywhere else (this instance falls back to its
    /// own counters); those requests then stay uncounted in Redis, as every request answered while Redis is down.</summary>
    private async Task LandQueuedAsync(ConnectionMultiplexer connection)
    {
        await Task.Delay(SendDelay).ConfigureAwait(false);
        List<Admitted> batch;
        TaskCompletionSource sent;
        lock (_outboxGate)
        {
            (batch, _outbox) = (_outbox, []);
            (sent, _outboxSent) = (_outboxSent, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        }

        try
        {
            var database = connection.GetDatabase();
            await PerClientAsync(batch, static a => a.Request.Client, group => LandAsync(database, group)).ConfigureAwait(false);
        }
        finally
        {
            foreach (var admitted in batch)
            {
                _views.Landed(admitted.Request.Client, admitted.Minute, admitted.Request.Tokens);
                _landing.TryRemove(admitted.Id, out _);
            }

            Interlocked.Add(ref _pendingLandings, -batch.Count);
            sent.SetResult();
        }
    }

    /// <summary>Sends <paramref name="batch"/> one client at a time (a client's keys share one hash slot: one script call
    /// each), the clients at once; without grouping when all are of one client, the usual case.</summary>
    private static Task PerClientAsync<T>(List<T> batch, Func<T, string> clientOf, Func<List<T>, Task> send)
    {
        var first = clientOf(batch[0]);
        return batch.TrueForAll(item => string.Equals(clientOf(item), first, StringComparison.Ordinal))
            ? send(batch)
            : Task.WhenAll(batch.GroupBy(clientOf, StringComparer.Ordinal).Select(group => send(group.ToList())));
    }

    private async Task LandAsync(IDatabase database, List<Admitted> admitted)
    {
        try
        {
            await _shared.ReserveAdmittedAsync(database, admitted.ConvertAll(a => (a.Request, a.Now, a.Id)))
                .WaitAsync(TimeSpan.FromMilliseconds(Math.Max(1000, _options.TimeoutMilliseconds))).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsRedisFailure(ex))
        {
            Failed(ex);
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Reserving {Count} admitted requests in Redis failed", admitted.Count);
        }
    }

    /// <summary>Queues a correction once its reservation has landed in Redis (whether or not it could: one that did not
    /// finds nothing to correct, and changes nothing).</summary>
    private async Task QueueWhenLandedAsync(Task landing, PendingCorrection correction)
    {
        await landing.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (!_corrections.Writer.TryWrite(correction))
        {
            await SendAsync([correction]).ConfigureAwait(false);
        }
    }

    private async Task<QuotaDecision?> TrySharedAsync(QuotaRequest request)
    {
        if (_redis is null)
        {
            return null;
        }

        var now = _time.GetUtcNow();
        lock (_gate)
        {
            if (_down && now < _skipRedisUntil)
            {
                return null;
            }
        }

        if (_redis.Connected is not { } connection)
        {
            // Still opening at start: count here meanwhile (reported degraded), without calling it a failure.
            if (_redis.Multiplexer is not null)
            {
                Failed(null);
            }

            return null;
        }

        try
        {
            var decision = await _shared.ReserveAsync(connection.GetDatabase(), request, now)
                .WaitAsync(TimeSpan.FromMilliseconds(_options.TimeoutMilliseconds)).ConfigureAwait(false);
            Recovered();
            return decision;
        }
        catch (Exception ex) when (IsRedisFailure(ex))
        {
            Failed(ex);
            return null;
        }
    }

    private static bool IsRedisFailure(Exception ex) => ex is RedisException or TimeoutException or ObjectDisposedException or InvalidCastException;

    private void Failed(Exception? ex)
    {
        var now = _time.GetUtcNow();
        bool log;
        lock (_gate)
        {
            _down = true;
            _skipRedisUntil = now + TimeSpan.FromSeconds(Math.Max(0, _options.RetrySeconds));
            log = now - _lastLogged >= LogInterval;
            if (log)
            {
                _lastLogged = now;
            }
        }

        if (log)
        {
            _logger.LogWarning("Redis is unreachable or slower than {TimeoutMs} ms ({Error}): this instance counts per-client quotas on its own until it answers again (retried every {RetrySeconds} s)",
                _options.TimeoutMilliseconds, ex is null ? "not connected" : ex is TimeoutException ? "timeout" : ex.GetType().Name + ": " + ex.Message, _options.RetrySeconds);
        }
    }

    private void Recovered()
    {
        bool was;
        lock (_gate)
        {
            was = _down;
            _down = false;
        }

        if (was)
        {
            _logger.LogInformation("Redis answers again: per-client quotas are shared by every instance again");
        }
    }

    private readonly record struct PendingCorrection(QuotaReservation Reservation, TokenUsage Actual);

    private readonly record struct Admitted(QuotaRequest Request, DateTimeOffset Now, long Minute, string Id);
}
