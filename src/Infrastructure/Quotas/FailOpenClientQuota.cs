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
/// in the store that made it. Records tokens per client and refusals by limit (<see cref="WrapperMetrics"/>).
/// </summary>
public sealed class FailOpenClientQuota : IClientQuota, IQuotaStoreState
{
    private static readonly TimeSpan LogInterval = TimeSpan.FromMinutes(1);

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

    public FailOpenClientQuota(IOptions<RedisOptions> options, InMemoryQuotaStore local, TimeProvider time, WrapperMetrics metrics,
        ILogger<FailOpenClientQuota> logger, RedisConnection? redis = null)
    {
        _options = options.Value;
        _redis = _options.Configured ? redis : null;
        _shared = new RedisQuotaStore(_options.KeyPrefix);
        _local = local;
        _time = time;
        _metrics = metrics;
        _logger = logger;
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
        var decision = await TrySharedAsync(request).ConfigureAwait(false) ?? _local.Reserve(request, _time.GetUtcNow());
        if (decision.Refused is { } limit)
        {
            _metrics.RecordQuotaRefusal(Attribute(request.Client), limit);
        }

        return decision;
    }

    /// <inheritdoc />
    public async ValueTask CorrectAsync(QuotaReservation reservation, TokenUsage actual)
    {
        ArgumentNullException.ThrowIfNull(reservation);
        ArgumentNullException.ThrowIfNull(actual);
        if (reservation.Tokens > 0 || actual.TotalTokens > 0)
        {
            _metrics.RecordClientTokens(Attribute(reservation.Client), actual);
        }

        if (reservation.Tokens == 0 && actual.TotalTokens == 0)
        {
            return;
        }

        if (reservation.Store != RedisQuotaStore.StoreName)
        {
            _local.Correct(reservation, actual);
            return;
        }

        if (_redis?.Connected is { } connection)
        {
            try
            {
                // Not bounded by the request timeout: the answer has been sent, and a correction that came late still counts.
                await _shared.CorrectAsync(connection.GetDatabase(), reservation, actual)
                    .WaitAsync(TimeSpan.FromMilliseconds(Math.Max(1000, _options.TimeoutMilliseconds))).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (IsRedisFailure(ex))
            {
                Failed(ex);
            }
        }

        // The reservation stays counted in Redis until its window ends: over-counting one answer, never drifting.
    }

    /// <summary>The client as a metric attribute: key names and subscriber ids (a bounded set), but never an address.</summary>
    public static string Attribute(string client) => client.StartsWith("ip:", StringComparison.Ordinal) ? "anonymous" : client;

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
}
