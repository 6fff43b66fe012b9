namespace Wrapper.Infrastructure.Agents;

/// <summary>A run of an agent on a thread, as last read.</summary>
/// <param name="Id">The run id.</param>
/// <param name="ThreadId">The thread it runs on.</param>
/// <param name="Status"><c>queued</c>, <c>in_progress</c>, <c>requires_action</c>, <c>cancelling</c>, <c>cancelled</c>,
/// <c>failed</c>, <c>completed</c>, <c>expired</c> or <c>incomplete</c>.</param>
/// <param name="ErrorCode">For a failed run, <c>last_error.code</c> (e.g. <c>rate_limit_exceeded</c>).</param>
/// <param name="ErrorMessage">For a failed run, <c>last_error.message</c>. Not for clients' eyes: it is upstream text.</param>
/// <param name="IncompleteReason">For an incomplete run, why.</param>
public sealed record AgentRun(string Id, string ThreadId, string Status, string? ErrorCode = null, string? ErrorMessage = null, string? IncompleteReason = null)
{
    /// <summary>True once the run will not change any more.</summary>
    public bool IsTerminal => Status is "completed" or "failed" or "cancelled" or "expired" or "incomplete";
}
