namespace Wrapper.Simulator.Agents;

/// <summary>
/// The run state machine of the simulated Agent Service. Runs progress lazily from their timestamps whenever they are
/// read: queued until <see cref="SimRun.StartAt"/>, in_progress until <see cref="SimRun.EndAt"/>, then the outcome the
/// prompt asks for (<see cref="RunOutcome"/>); a cancel request makes a run cancelling, then cancelled one step later.
/// The caller (<see cref="AgentStore"/>) holds its lock.
/// </summary>
internal static class AgentRunLifecycle
{
    /// <summary>True for the statuses a run never leaves.</summary>
    public static bool IsTerminal(string status) =>
        status is "completed" or "failed" or "cancelled" or "expired" or "incomplete";

    /// <summary>Brings every run of <paramref name="thread"/> up to <paramref name="now"/>; returns how many answers were
    /// added to the thread.</summary>
    public static int AdvanceAll(SimThread thread, DateTimeOffset now, Func<string> newMessageId)
    {
        var answers = 0;
        foreach (var run in thread.Runs)
        {
            answers += Advance(run, thread, now, newMessageId) ? 1 : 0;
        }

        return answers;
    }

    /// <summary>Brings <paramref name="run"/> (of <paramref name="thread"/>) up to <paramref name="now"/>; true when it
    /// completed with an answer, which was added to the thread.</summary>
    public static bool Advance(SimRun run, SimThread thread, DateTimeOffset now, Func<string> newMessageId)
    {
        if (IsTerminal(run.Status))
        {
            return false;
        }

        if (run.CancelledAfter is { } cancelledAfter)
        {
            if (now >= cancelledAfter)
            {
                run.Status = "cancelled";
                run.CancelledAt = cancelledAfter;
            }

            return false;
        }

        if (now < run.StartAt)
        {
            return false;
        }

        run.Status = "in_progress";
        run.StartedAt = run.StartAt;
        return now >= run.EndAt && Finish(run, thread, newMessageId);
    }

    private static bool Finish(SimRun run, SimThread thread, Func<string> newMessageId)
    {
        var end = run.EndAt;
        switch (run.Outcome)
        {
            case RunOutcome.Fail:
                run.Status = "failed";
                run.FailedAt = end;
                run.LastError = new RunError("server_error", "Sorry, something went wrong.");
                break;
            case RunOutcome.RateLimit:
                run.Status = "failed";
                run.FailedAt = end;
                run.LastError = new RunError("rate_limit_exceeded", "Rate limit is exceeded. Try again in 60 seconds.");
                break;
            case RunOutcome.Expire:
                run.Status = "expired";
                run.ExpiredAt = end;
                break;
            case RunOutcome.Empty:
                run.Status = "completed";
                run.CompletedAt = end;
                run.Usage = new RunUsage(run.PromptTokens, 0, run.PromptTokens);
                break;
            default:
                var answer = GroundedAnswerComposer.Compose(run.Agent, run.Question, run.MarkerGroup);
                thread.Messages.Add(new SimMessage(newMessageId(), thread.Id, end.ToUnixTimeSeconds(), "assistant", answer.Text, answer.Annotations)
                {
                    AssistantId = run.Agent.Id,
                    RunId = run.Id,
                });
                var completionTokens = RunScript.CountTokens(answer.Text);
                run.Status = "completed";
                run.CompletedAt = end;
                run.Usage = new RunUsage(run.PromptTokens, completionTokens, run.PromptTokens + completionTokens);
                return true;
        }

        return false;
    }
}
