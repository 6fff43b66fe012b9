using Wrapper.Application.Common.Exceptions;

namespace Wrapper.Infrastructure.Health;

/// <summary>What one deployment check found.</summary>
public enum DeploymentCheckOutcome
{
    /// <summary>The deployment answered (any status but 404, 401/403, 5xx or no answer): it exists.</summary>
    Exists,

    /// <summary>The deployment does not exist (404).</summary>
    Missing,

    /// <summary>Nothing could be learnt (no answer, 5xx, credentials refused): ask again soon.</summary>
    Inconclusive,
}

/// <summary>
/// Whether one upstream's deployment exists, as last learnt: from chat traffic (free: every answer of the deployment
/// confirms it, a 404 says it is gone) or from a check that spends a minimal completion. A check runs only when nothing
/// was learnt for <c>interval</c>, one at a time (concurrent probes share it), and its result answers every probe until
/// the interval has passed again. So on an instance that serves chats the check never spends a token, and on an idle one
/// it spends at most one minimal completion per interval.
/// </summary>
public sealed class DeploymentCheck
{
    /// <summary>After an inconclusive check, the next one waits this long at most (or the interval, if shorter).</summary>
    public static readonly TimeSpan InconclusiveRetry = TimeSpan.FromMinutes(1);

    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private DateTimeOffset? _existsAt;
    private DateTimeOffset? _missingAt;
    private UpstreamException? _missing;
    private DateTimeOffset? _inconclusiveAt;
    private Task<UpstreamException?>? _running;

    public DeploymentCheck(TimeProvider time) => _time = time;

    /// <summary>How many checks were sent (they spend tokens); for logs and tests.</summary>
    public int ChecksSent { get; private set; }

    /// <summary>The deployment answered a chat call.</summary>
    public void Confirm()
    {
        lock (_gate)
        {
            _existsAt = _time.GetUtcNow();
        }
    }

    /// <summary>A chat call was told the deployment does not exist.</summary>
    public void ReportMissing(UpstreamException failure)
    {
        lock (_gate)
        {
            _missingAt = _time.GetUtcNow();
            _missing = failure;
        }
    }

    /// <summary>Null when the deployment is known to exist or nothing could be learnt; its 404 failure when it does not
    /// exist. Sends <paramref name="check"/> only when nothing was learnt for <paramref name="interval"/> (never when the
    /// interval is zero) and no other check is running.</summary>
    public Task<UpstreamException?> CheckAsync(TimeSpan interval, Func<Task<(DeploymentCheckOutcome Outcome, UpstreamException? Failure)>> check)
    {
        ArgumentNullException.ThrowIfNull(check);
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            var missingIsNewest = _missingAt is { } missingAt && (_existsAt is not { } existsAt || missingAt > existsAt);
            if (interval <= TimeSpan.Zero)
            {
                return Task.FromResult(missingIsNewest ? _missing : null);
            }

            var newest = new[] { _existsAt, _missingAt, _inconclusiveAt }.Max();
            if (newest is { } learnt)
            {
                var fresh = now - learnt;
                if (learnt == _inconclusiveAt && learnt != _existsAt && learnt != _missingAt)
                {
                    if (fresh < (interval < InconclusiveRetry ? interval : InconclusiveRetry))
                    {
                        return Task.FromResult<UpstreamException?>(null);
                    }
                }
                else if (fresh < interval)
                {
                    return Task.FromResult(missingIsNewest ? _missing : null);
                }
            }

            return _running ??= RunAsync(check);
        }
    }

    private async Task<UpstreamException?> RunAsync(Func<Task<(DeploymentCheckOutcome Outcome, UpstreamException? Failure)>> check)
    {
        await Task.Yield(); // never run the check inside the lock
        (DeploymentCheckOutcome Outcome, UpstreamException? Failure) result;
        try
        {
            result = await check().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            result = (DeploymentCheckOutcome.Inconclusive, ex as UpstreamException);
        }

        lock (_gate)
        {
            ChecksSent++;
            var now = _time.GetUtcNow();
            switch (result.Outcome)
            {
                case DeploymentCheckOutcome.Exists:
                    _existsAt = now;
                    break;
                case DeploymentCheckOutcome.Missing:
                    _missingAt = now;
                    _missing = result.Failure;
                    break;
                default:
                    _inconclusiveAt = now;
                    break;
            }

            _running = null;
        }

        return result.Outcome == DeploymentCheckOutcome.Missing ? result.Failure : null;
    }
}
