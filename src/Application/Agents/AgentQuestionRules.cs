using System.Linq.Expressions;
using System.Text.RegularExpressions;
using Wrapper.Application.Common;
using Wrapper.Domain.Agents;

namespace Wrapper.Application.Agents;

/// <summary>Validation and conversation rules shared by every "ask an agent" request.</summary>
public static partial class AgentQuestionRules
{
    /// <summary>Longest thread id accepted (Agent Service ids look like <c>thread_abc123</c>).</summary>
    public const int MaxThreadIdLength = 128;

    /// <summary>True when the id could be an Agent Service thread id: letters, digits, '_' and '-' only, so it
    /// is safe inside a URL path.</summary>
    public static bool IsWellFormedThreadId(string? threadId) => threadId is null || ThreadIdPattern().IsMatch(threadId);

    /// <summary>Builds the domain question. A <paramref name="threadId"/> (or <paramref name="conversationId"/>) continues
    /// that thread (conversation) and keeps it unless <paramref name="keepThread"/> is false (which ends the conversation
    /// after this answer); without one a new thread or conversation is made, kept only when <paramref name="keepThread"/>
    /// is true. The question is asked as the owner of <paramref name="clientIdentity"/> (<see cref="ThreadOwnership.OwnerOf"/>).</summary>
    public static AgentQuestion ToQuestion(string query, string? threadId, bool? keepThread, string clientIdentity,
        string? conversationId = null) =>
        new(query, threadId, keepThread ?? (threadId is not null || conversationId is not null), ThreadOwnership.OwnerOf(clientIdentity),
            conversationId);

    /// <summary>Adds the rules for query, thread_id and their combination.</summary>
    public static void AddQuestionRules<T>(this AbstractValidator<T> validator, int maxQueryLength,
        Expression<Func<T, string?>> query, Expression<Func<T, string?>> threadId)
    {
        validator.RuleFor(query)
            .Must(q => !string.IsNullOrWhiteSpace(q)).WithMessage("'query' is required.")
            .MaximumLength(maxQueryLength).WithMessage($"'query' must be at most {maxQueryLength} characters.")
            .Must(TextRules.HasNoForbiddenControlCharacters).WithMessage("'query' must not contain control characters other than tab and line breaks.")
            .OverridePropertyName("query");

        validator.RuleFor(threadId)
            .Must(IsWellFormedThreadId)
            .WithMessage($"'thread_id' must be 1 to {MaxThreadIdLength} letters, digits, '_' or '-'.")
            .OverridePropertyName("thread_id");
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,128}$", RegexOptions.CultureInvariant)]
    private static partial Regex ThreadIdPattern();
}
