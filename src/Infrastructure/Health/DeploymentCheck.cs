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
    /// <summary>After an inconclusive check, or one that found the deployment missing (a 404 spends no token), the next
    /// one waits this long at most (or the interval, if shorter): a deployment created meanwhile is seen soon.</summary>
    public static readonly TimeSpan ShortRetry = TimeSpan.FromMinutes(1);

    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private DateTimeOffset? _learntAt;
    private DeploymentCheckOutcome _learnt;
    private UpstreamException? _missing; // set while the latest conclusive news is "missing"
    private Task<UpstreamException?>? _running;

    public DeploymentCheck(TimeProvider time) => _time = time;

    /// <summary>The deployment answered a chat call.</summary>
    public void Confirm()
    {
        lock (_gate)
        {
            Learn(DeploymentCheckOutcome.Exists, null);
        }
    }

    /// <summary>A chat call was told the deployment does not exist.</summary>
    public void ReportMissing(UpstreamException failure)
    {
        lock (_gate)
        {
            Learn(DeploymentCheckOutcome.Missing, failure);
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
            if (interval <= TimeSpan.Zero)
            {
                return Task.FromResult(_missing);
            }

            if (_learntAt is { } learntAt)
            {
                // Exists: trusted for the whole interval. Missing or inconclusive: asked again sooner; neither spent a token.
                var trustedFor = _learnt == DeploymentCheckOutcome.Exists ? interval : (interval < ShortRetry ? interval : ShortRetry);
                if (now - learntAt < trustedFor)
                {
                    return Task.FromResult(_missing);
                }
            }

            return _running ??= RunAsync(check);
        }
    }

    /// <summary>Records news (under the lock). An inconclusive check keeps what was known before.</summary>
    private void Learn(DeploymentCheckOutcome outcome, UpstreamException? failure)
    {
        _learntAt = _time.GetUtcNow();
        _learnt = outcome;
        if (outcome == DeploymentCheckOutcome.Exists)
        {
            _missing = null;
        }
        else if (outcome == DeploymentCheckOutcome.Missing)
        {
            _missing = failure;
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
            Learn(result.Outcome, result.Failure);
            _running = null;
            return _missing;
        }
    }
}
