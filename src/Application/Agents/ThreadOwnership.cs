using System.Security.Cryptography;
using System.Text;
using Wrapper.Application.Common.Exceptions;
using Wrapper.Domain.Agents;

namespace Wrapper.Application.Agents;

/// <summary>
/// Who owns a conversation thread, and the rule that only its owner continues or ends it. A new thread records the
/// <see cref="OwnerOf">owner tag</see> of the client that made it; a question on an existing thread (continuing it, or
/// ending it with <c>keep_thread</c> false) first reads the thread's tag and answers <see cref="ThreadNotFoundException"/>
/// unless it is the caller's: another client's thread and a thread that does not exist look the same.
/// </summary>
public static class ThreadOwnership
{
    private const string Purpose = "wrapper-thread-owner/v1\n";

    /// <summary>The owner tag of a client identity: the lowercase hex SHA-256 of a fixed purpose prefix and the identity
    /// (64 characters). The client's name or key never reaches the Agent Service; the same identity gives the same tag on
    /// every replica and after restarts.</summary>
    public static string OwnerOf(string clientIdentity)
    {
        ArgumentException.ThrowIfNullOrEmpty(clientIdentity);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Purpose + clientIdentity)));
    }

    /// <summary>Asks the agent as the owner <see cref="AgentQuestion.Owner"/>: a question on an existing thread goes
    /// ahead only when the thread's recorded owner is that owner.</summary>
    /// <exception cref="ThreadNotFoundException">The thread does not exist, or another client owns it.</exception>
    public static async Task<AgentAnswer> AskAsOwnerAsync(this IAgentGateway agents, string agentName, AgentQuestion question,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(question);
        if (question.Owner is not { } owner)
        {
            throw new ArgumentException("The question names no owner.", nameof(question));
        }

        if (question.ThreadId is { } threadId)
        {
            var recorded = await agents.GetThreadOwnerAsync(threadId, cancellationToken).ConfigureAwait(false);
            if (!IsSameOwner(recorded, owner))
            {
                throw new ThreadNotFoundException(threadId);
            }
        }

        return await agents.AskAsync(agentName, question, cancellationToken).ConfigureAwait(false);
    }

    private static bool IsSameOwner(string? recorded, string owner) =>
        recorded is not null
        && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(recorded), Encoding.UTF8.GetBytes(owner));
}
