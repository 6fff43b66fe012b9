using Microsoft.ML.Tokenizers;

namespace Wrapper.Simulator.Agents;

/// <summary>How a run ends, chosen by a <c>[simulate:…]</c> switch in the user's last message.</summary>
public enum RunOutcome
{
    /// <summary>No switch: completes with an answer.</summary>
    Complete,

    /// <summary><c>[simulate:fail]</c>: failed, <c>last_error.code = "server_error"</c>.</summary>
    Fail,

    /// <summary><c>[simulate:rate_limit]</c>: failed, <c>last_error.code = "rate_limit_exceeded"</c>.</summary>
    RateLimit,

    /// <summary><c>[simulate:slow]</c>: stays in_progress for <see cref="AgentSimulatorOptions.SlowRunMs"/>, then completes.</summary>
    Slow,

    /// <summary><c>[simulate:expire]</c>: expired.</summary>
    Expire,

    /// <summary><c>[simulate:empty]</c>: completes without an assistant message.</summary>
    Empty,
}

/// <summary>Reads the <c>[simulate:…]</c> switches of a prompt and counts tokens for run usage.</summary>
public static class RunScript
{
    private static readonly (string Switch, RunOutcome Outcome)[] Switches =
    [
        ("[simulate:fail]", RunOutcome.Fail),
        ("[simulate:rate_limit]", RunOutcome.RateLimit),
        ("[simulate:slow]", RunOutcome.Slow),
        ("[simulate:expire]", RunOutcome.Expire),
        ("[simulate:empty]", RunOutcome.Empty),
    ];

    private static readonly Lazy<Tokenizer> Tokenizer = new(() => TiktokenTokenizer.CreateForModel("gpt-4o"));

    /// <summary>The outcome a prompt asks for (the first switch found, in the order of <see cref="RunOutcome"/>).</summary>
    public static RunOutcome OutcomeOf(string prompt)
    {
        foreach (var (name, outcome) in Switches)
        {
            if (prompt.Contains(name, StringComparison.OrdinalIgnoreCase))
            {
                return outcome;
            }
        }

        return RunOutcome.Complete;
    }

    /// <summary>Tokens of <paramref name="text"/> in the o200k encoding of gpt-4o.</summary>
    public static int CountTokens(string text) => text.Length == 0 ? 0 : Tokenizer.Value.CountTokens(text);
}
